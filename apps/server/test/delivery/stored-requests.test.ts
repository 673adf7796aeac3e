import {
  type DispatchCallDetail,
  type DispatchDetail,
  STORED_HEADER_VALUE_LIMIT,
  STORED_REQUEST_BODY_LIMIT,
} from '@ricochet/schema';
import type { ReceivedRequest } from '@ricochet/testkit';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { TestApi } from '../app-fixtures.ts';
import { describe, expect, ManualClock, respond, test } from '../delivery-fixtures.ts';
import { findDispatch } from '../dispatch-rows.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const RUN_EVENT = {
  eventType: 'ACTOR.RUN.SUCCEEDED',
  // Characters of 2, 3 and 4 UTF-8 bytes: the stored body must be the same bytes, not just similar text.
  eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'run-1', note: 'naïve café ☕ 𝄞' },
};
/** Headers undici adds itself, after Ricochet hands it the request. */
const TRANSPORT_HEADERS = ['host', 'content-length', 'connection'];

/** The dashboard's dispatch page query, over HTTP with a token. */
async function dispatchDetail(api: TestApi, dispatchId: string): Promise<DispatchDetail> {
  const input = encodeURIComponent(JSON.stringify({ dispatchId }));
  const response = await api.request('GET', `/trpc/insights.dispatch?input=${input}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().result.data;
}

/** The header lines a receiver got, as [name, value] with the names spelled as on the wire. */
function headerLines(request: ReceivedRequest): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    lines.push([request.rawHeaders[index] as string, request.rawHeaders[index + 1] as string]);
  }
  return lines;
}

/** The stored request is exactly what arrived: body bytes, and every header line but undici's own. */
function expectStoredAsReceived(call: DispatchCallDetail | undefined, request: ReceivedRequest | undefined) {
  expect(call?.requestState).toBe('STORED');
  expect(Buffer.from(call?.requestBody ?? '', 'utf8').equals(request?.bytes ?? Buffer.alloc(1))).toBe(true);
  const received = headerLines(request as ReceivedRequest).filter(
    ([name]) => !TRANSPORT_HEADERS.includes(name.toLowerCase()),
  );
  expect(Object.entries(call?.requestHeaders ?? {})).toEqual(received);
}

describe('each call stores the request it sent', () => {
  test('headers (signatures included, no secret) and body equal what the receiver got, byte for byte', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(200, '{"ok":"ünï"}', { 'X-Receiver-Says': 'hi' }));
    const webhook = await delivery.webhook({
      requestUrl: `${receiver.url}/hook`,
      secret: SECRET,
      headers: { 'X-Static': 'static value' },
      headersTemplate: '{"X-Run": {{eventData.actorRunId}}}',
      properties: { source: 'tèst' },
    });
    await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    const detail = await dispatchDetail(api, dispatch.id);
    const [call] = detail.calls;
    expect(detail.calls).toHaveLength(1);
    expect(call?.attempt).toBe(1);
    expect(call?.requestUrl).toBe(`${receiver.url}/hook`);
    expect(request?.url).toBe('/hook');
    expectStoredAsReceived(call, request);
    expect(call?.requestHeaders).toMatchObject({ 'X-Static': 'static value', 'X-Run': 'run-1' });
    // The stored signature is the one the receiver verified with the secret; the secret itself is not stored.
    expect(
      new StandardWebhook(SECRET).verify(
        call?.requestBody ?? '',
        call?.requestHeaders as Record<string, string>,
      ),
    ).toMatchObject({ source: 'tèst', eventData: RUN_EVENT.eventData });
    expect(JSON.stringify(detail)).not.toContain(SECRET);
    expect(JSON.stringify(detail)).not.toContain(SECRET.slice('whsec_'.length));
    // The response's headers, beside its body.
    expect(call?.responseHeaders).toMatchObject({ 'x-receiver-says': 'hi', 'content-type': 'text/plain' });
    // Stored compactly (outbound/stored-response.ts), shown as received.
    expect(Array.isArray(dispatch.calls[0]?.responseHeaders)).toBe(true);
    expect(call?.responseHeaders?.date).toMatch(
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    );
    expect(call?.responseBody).toBe('{"ok":"ünï"}');

    // The Apify-compatible REST shape is unchanged: a call has Apify's five fields and nothing else.
    const rest = (await api.request('GET', `/v2/webhook-dispatches/${dispatch.id}`)).json().data;
    expect(Object.keys(rest.calls[0]).sort()).toEqual(
      ['errorMessage', 'finishedAt', 'responseBody', 'responseStatus', 'startedAt'].sort(),
    );
  });

  test('each attempt keeps its own request: an edit of the webhook between attempts shows', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    receiver.queue(respond(503, 'busy'));
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    const clock = new ManualClock();
    const worker = delivery.worker({ clock });
    await worker.runOnce();
    const edited = await api.request('PUT', `/v2/webhooks/${webhook.id}`, {
      body: { payloadTemplate: '{"edited": true, "run": {{eventData.actorRunId}}}' },
    });
    expect(edited.statusCode).toBe(200);
    clock.advance(60_000);
    await worker.runOnce();

    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    const detail = await dispatchDetail(api, dispatch.id);
    expect(detail.status).toBe('SUCCEEDED');
    expect(detail.calls.map((call) => call.responseStatus)).toEqual([503, 200]);
    expect(receiver.received).toHaveLength(2);
    expectStoredAsReceived(detail.calls[0], receiver.received[0]);
    expectStoredAsReceived(detail.calls[1], receiver.received[1]);
    expect(JSON.parse(detail.calls[0]?.requestBody ?? '')).toMatchObject({ eventData: RUN_EVENT.eventData });
    expect(JSON.parse(detail.calls[1]?.requestBody ?? '')).toEqual({ edited: true, run: 'run-1' });
  });

  test('a huge body and header value are stored cut, with a marker, as far as they fit', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    // 2-byte characters: the cut must fall between characters, not inside one.
    const big = 'é'.repeat(40_000);
    const headerValue = 'ü'.repeat(5_000);
    const webhook = await delivery.webhook({
      requestUrl: receiver.url,
      headersTemplate: '{"X-Big": {{eventData.headerValue}}}',
    });
    await delivery.publish({ ...RUN_EVENT, eventData: { ...RUN_EVENT.eventData, big, headerValue } });
    await delivery.worker().runOnce();

    const [request] = receiver.received;
    const sentBytes = request?.bytes.length ?? 0;
    expect(sentBytes).toBeGreaterThan(STORED_REQUEST_BODY_LIMIT);
    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    const [call] = (await dispatchDetail(api, dispatch.id)).calls;
    const marker = `…[truncated, ${sentBytes} bytes in all]`;
    expect(call?.requestBody?.endsWith(marker)).toBe(true);
    const keptBody = Buffer.from(call?.requestBody?.slice(0, -marker.length) ?? '', 'utf8');
    expect(keptBody.length).toBeGreaterThan(STORED_REQUEST_BODY_LIMIT - 2);
    expect(keptBody.length).toBeLessThanOrEqual(STORED_REQUEST_BODY_LIMIT);
    expect(keptBody.equals(request?.bytes.subarray(0, keptBody.length) ?? Buffer.alloc(0))).toBe(true);

    const storedBig = call?.requestHeaders?.['X-Big'] ?? '';
    const headerMarker = `…[truncated, ${Buffer.byteLength(headerValue)} bytes in all]`;
    expect(storedBig.endsWith(headerMarker)).toBe(true);
    expect(Buffer.byteLength(storedBig.slice(0, -headerMarker.length))).toBe(STORED_HEADER_VALUE_LIMIT);
    expect(request?.headers['x-big']).toBe(headerValue);
    // The headers after the big one are all there.
    expect(call?.requestHeaders?.['webhook-signature']).toBe(request?.headers['webhook-signature']);
  });

  test('calls without a stored request say why: not built, not recorded, or stored before requests were', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();
    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    // Beside the delivered call: one whose template could not render (as the worker records it, see
    // worker.test.ts), one as an older Ricochet recorded it (no request columns), one left running by
    // an older Ricochet and one interrupted.
    const interrupted = 'Interrupted: the worker delivering this attempt stopped before it finished.';
    await api.prisma.dispatchCall.createMany({
      data: [
        { attempt: 2, finishedAt: new Date(), errorMessage: 'payloadTemplate could not be rendered: …' },
        { attempt: 3, finishedAt: new Date(), responseStatus: 200 },
        { attempt: 4, finishedAt: null },
        { attempt: 5, finishedAt: new Date(), errorMessage: interrupted },
      ].map((call) => ({
        ...call,
        ...(call.attempt === 2 && { requestUrl: receiver.url, requestHeaders: {} }),
        dispatchId: dispatch.id,
        webhookId: webhook.id,
        startedAt: new Date(),
      })),
    });
    const states = (await dispatchDetail(api, dispatch.id)).calls.map((call) => call.requestState);
    expect(states).toEqual(['STORED', 'NOT_BUILT', 'PREDATES_STORAGE', 'NOT_RECORDED', 'NOT_RECORDED']);
  });
});
