import { type DispatchCallDetail, type DispatchDetail, STORED_REQUEST_BODY_LIMIT } from '@ricochet/schema';
import type { ReceivedRequest } from '@ricochet/testkit';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { sqlFor } from '../../src/db/sql.ts';
import { headersToSend } from '../../src/outbound/http-sender.ts';
import { renderBody, signedHeaders } from '../../src/outbound/payload.ts';
import { standardWebhookSignature, superOfficeSignature } from '../../src/outbound/signing.ts';
import {
  rebuiltHeaders,
  sentRequestOf,
  storedRequest,
  withTraceparent,
} from '../../src/outbound/stored-request.ts';
import type { TestApi } from '../app-fixtures.ts';
import { describe, expect, test } from '../delivery-fixtures.ts';
import { findDispatch } from '../dispatch-rows.ts';

// Calls are stored compactly (src/outbound/stored-request.ts): only what cannot be derived again,
// the rest rebuilt on reading by the functions the sender used. These tests prove the dashboard's
// dispatch page still shows, byte for byte, what the receiver got, and that the compact form is
// what the database holds.

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const EVENT = {
  eventType: 'ACTOR.RUN.SUCCEEDED',
  eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'run-1', note: 'naïve café ☕ 𝄞' },
  resource: { id: 'run-1', status: 'SUCCEEDED', defaultDatasetId: 'ds-1' },
};
const TRANSPORT_HEADERS = ['host', 'content-length', 'connection'];

async function dispatchDetail(api: TestApi, dispatchId: string): Promise<DispatchDetail> {
  const input = encodeURIComponent(JSON.stringify({ dispatchId }));
  const response = await api.request('GET', `/trpc/insights.dispatch?input=${input}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json().result.data;
}

/** The request the dashboard shows is exactly what arrived: body bytes and every header line but undici's. */
function expectShownAsReceived(call: DispatchCallDetail | undefined, request: ReceivedRequest | undefined) {
  expect(call?.requestState).toBe('STORED');
  expect(call?.requestBody).not.toBeNull();
  expect(Buffer.from(call?.requestBody ?? '', 'utf8').equals(request?.bytes ?? Buffer.alloc(1))).toBe(true);
  const lines: Array<[string, string]> = [];
  const raw = request?.rawHeaders ?? [];
  for (let index = 0; index < raw.length; index += 2)
    lines.push([raw[index] as string, raw[index + 1] as string]);
  expect(Object.entries(call?.requestHeaders ?? {})).toEqual(
    lines.filter(([name]) => !TRANSPORT_HEADERS.includes(name.toLowerCase())),
  );
}

type StoredColumns = {
  requestHeaders: unknown;
  requestBody: string | null;
  requestTimestamp: number | null;
  signatureBytes: number | null;
  requestParts: Record<string, unknown> | null;
};

/** The request columns of a call as the database holds them. */
async function storedColumns(api: TestApi, dispatchId: string, attempt = 1): Promise<StoredColumns> {
  const [row] = await sqlFor(api.prisma).query<StoredColumns>(
    `SELECT "requestHeaders", "requestBody", "requestTimestamp", octet_length("requestSignatures") AS "signatureBytes",
      "requestParts" FROM "DispatchCall" WHERE "dispatchId" = $1 AND "attempt" = $2`,
    [dispatchId, attempt],
  );
  if (!row) throw new Error(`no call ${dispatchId}/${attempt}`);
  return row;
}

describe('a call stored compactly reads back exactly as it was sent', () => {
  test('the default payload: neither headers nor body are stored, both read back byte for byte', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: `${receiver.url}/hook`, secret: SECRET });
    await delivery.publish(EVENT);
    await delivery.worker().runOnce();

    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    const [call] = (await dispatchDetail(api, dispatch.id)).calls;
    expectShownAsReceived(call, receiver.received[0]);
    expect(JSON.parse(call?.requestBody ?? '')).toMatchObject({
      eventData: EVENT.eventData,
      resource: EVENT.resource,
    });
    // The signature shown is the one the receiver verifies with the secret.
    expect(
      new StandardWebhook(SECRET).verify(
        call?.requestBody ?? '',
        call?.requestHeaders as Record<string, string>,
      ),
    ).toMatchObject({ eventData: EVENT.eventData });
    const stored = await storedColumns(api, dispatch.id);
    expect(stored).toMatchObject({
      requestHeaders: null,
      requestBody: null,
      requestParts: null,
      // Which secret signed (a marker byte and 4 bytes of its HMAC), not the HMACs (2 x 32 bytes).
      signatureBytes: 5,
    });
    expect(stored.requestTimestamp).toBe(Number(receiver.received[0]?.headers['webhook-timestamp']));
  });

  test('a payload template: the body is stored, the headers are not', async ({ api, delivery }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({
      requestUrl: receiver.url,
      secret: SECRET,
      payloadTemplate: '{"run": {{eventData.actorRunId}}, "resource": {{resource}}}',
    });
    await delivery.publish(EVENT);
    await delivery.worker().runOnce();

    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    const [call] = (await dispatchDetail(api, dispatch.id)).calls;
    expectShownAsReceived(call, receiver.received[0]);
    expect(JSON.parse(call?.requestBody ?? '')).toEqual({ run: 'run-1', resource: EVENT.resource });
    expect(await storedColumns(api, dispatch.id)).toMatchObject({
      requestHeaders: null,
      requestBody: receiver.received[0]?.body,
      requestParts: null,
    });
  });

  test('custom headers (a headers template and static headers) and properties are kept, in order', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({
      requestUrl: receiver.url,
      secret: SECRET,
      headers: { 'X-Static': 'static value', 'X-Second': 'ü' },
      headersTemplate: '{"X-Run": {{eventData.actorRunId}}}',
      properties: { source: 'tèst' },
    });
    await delivery.publish(EVENT);
    await delivery.worker().runOnce();

    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    const [call] = (await dispatchDetail(api, dispatch.id)).calls;
    expectShownAsReceived(call, receiver.received[0]);
    expect(call?.requestHeaders).toMatchObject({ 'X-Static': 'static value', 'X-Run': 'run-1' });
    const stored = await storedColumns(api, dispatch.id);
    expect(stored.requestHeaders).toBeNull();
    expect(stored.requestParts).toEqual({
      h: { 'X-Run': 'run-1', 'X-Static': 'static value', 'X-Second': 'ü' },
    });
  });

  test('a URL with Basic credentials: the Authorization it made is rebuilt from the stored URL', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const url = receiver.url.replace('http://', 'http://al%20ice:p%40ss@');
    const webhook = await delivery.webhook({ requestUrl: `${url}/hook`, secret: SECRET });
    await delivery.publish(EVENT);
    await delivery.worker().runOnce();

    expect(receiver.received[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('al ice:p@ss').toString('base64')}`,
    );
    const dispatch = await findDispatch(api.prisma, { webhookId: webhook.id });
    const [call] = (await dispatchDetail(api, dispatch.id)).calls;
    expect(call?.requestUrl).toBe(`${url}/hook`);
    expectShownAsReceived(call, receiver.received[0]);
    expect(await storedColumns(api, dispatch.id)).toMatchObject({ requestHeaders: null, requestBody: null });
  });

  test('a test call (its own data), two live secrets, no secret, and another request origin', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url, secret: SECRET });
    // A rotation keeps the old secret signing: two Standard Webhooks signatures, then SuperOffice's.
    const rotated = await api.request('POST', `/v2/webhooks/${webhook.id}/secret/rotate`, {
      body: { gracePeriodSeconds: 3600 },
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const tested = await api.request('POST', `/v2/webhooks/${webhook.id}/test`);
    expect(tested.statusCode, tested.body).toBeLessThan(300);
    const unsigned = await delivery.webhook({ requestUrl: `${receiver.url}/unsigned` });
    // Every webhook gets a secret; one without (an installation's own choice) signs nothing.
    await api.prisma.webhookSecret.deleteMany({ where: { webhookId: unsigned.id } });
    await delivery.publish(EVENT);
    await delivery.worker({ settings: { requestOrigin: 'ACME-ORIGIN' } }).runOnce();

    const testDispatch = await findDispatch(api.prisma, { webhookId: webhook.id, eventType: 'TEST' });
    const [testCall] = (await dispatchDetail(api, testDispatch.id)).calls;
    const testRequest = receiver.received.find(
      (request) => request.headers['webhook-id'] === testDispatch.id,
    );
    expectShownAsReceived(testCall, testRequest);
    const stored = await storedColumns(api, testDispatch.id);
    expect(stored).toMatchObject({
      requestHeaders: null,
      requestBody: null,
      requestParts: { o: 'ACME-ORIGIN' },
    });
    expect(stored.signatureBytes).toBe(1 + 2 * 4);

    const unsignedDispatch = await findDispatch(api.prisma, { webhookId: unsigned.id });
    const [unsignedCall] = (await dispatchDetail(api, unsignedDispatch.id)).calls;
    expectShownAsReceived(
      unsignedCall,
      receiver.received.find((request) => request.headers['webhook-id'] === unsignedDispatch.id),
    );
    expect(unsignedCall?.requestHeaders).not.toHaveProperty('webhook-signature');
    expect(await storedColumns(api, unsignedDispatch.id)).toMatchObject({
      requestHeaders: null,
      requestBody: null,
      signatureBytes: null,
    });
  });

  test('circuits still count compact calls that got no response as sent', async ({ api, delivery }) => {
    const receiver = await delivery.receiver();
    const port = new URL(receiver.url).port;
    await receiver.close();
    const webhook = await delivery.webhook({ requestUrl: `http://127.0.0.1:${port}/gone` });
    for (let index = 0; index < 5; index++) await delivery.publish(EVENT);
    // TEST_WORKER_SETTINGS open a circuit after 5 calls in a row without a response.
    await delivery.worker().runOnce();
    const [row] = await sqlFor(api.prisma).query<{ compact: number; opened: Date | null }>(
      `SELECT (SELECT count(*)::int FROM "DispatchCall" WHERE "webhookId" = $1 AND "requestTimestamp" IS NOT NULL
         AND "requestBody" IS NULL AND "responseStatus" IS NULL) AS "compact",
        (SELECT "circuitOpenedAt" FROM "Webhook" WHERE "id" = $1) AS "opened"`,
      [webhook.id],
    );
    expect(row?.compact).toBe(5);
    expect(row?.opened).not.toBeNull();
  });
});

describe('the compact format', () => {
  const context = {
    dispatchId: 'dispatch000000001',
    webhookId: 'webhook0000000001',
    variables: {
      userId: 'user0000000000001',
      createdAt: '2026-12-02T10:00:00.000Z',
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: 'a' },
      resource: null,
    },
    secrets: [] as string[],
  };

  test('is pinned: the headers and the default body a stored call reads as do not move with the code', () => {
    // Calls stored by this version must read the same in every later one: changing what
    // signedHeaders writes, or the default payload, needs a new stored format, not this one edited.
    const signatures = Buffer.alloc(64, 1);
    expect(
      Object.entries(
        rebuiltHeaders({
          ...context,
          requestUrl: 'https://u:p@example.com/hook',
          requestTimestamp: 1764669600,
          requestSignatures: signatures,
          requestParts: { h: { 'X-A': '1' } },
          body: null,
        }),
      ),
    ).toEqual([
      ['X-A', '1'],
      ['Content-Type', 'application/json; charset=utf-8'],
      ['X-Apify-Webhook', 'webhook0000000001'],
      ['X-Apify-Webhook-Dispatch-Id', 'dispatch000000001'],
      ['X-Apify-Request-Origin', 'RICOCHET'],
      ['webhook-id', 'dispatch000000001'],
      ['webhook-timestamp', '1764669600'],
      ['webhook-signature', `v1,${Buffer.alloc(32, 1).toString('base64')}`],
      ['X-SuperOffice-Signature', Buffer.alloc(32, 1).toString('base64')],
      ['user-agent', 'Ricochet-Webhooks/0.1'],
      ['authorization', `Basic ${Buffer.from('u:p').toString('base64')}`],
    ]);
    const body = sentRequestOf(
      {
        requestUrl: 'https://example.com/hook',
        requestHeaders: null,
        requestBody: null,
        requestTimestamp: 1764669600,
        requestSignatures: null,
        requestParts: null,
      },
      context,
    ).requestBody;
    expect(body).toBe(
      '{"userId":"user0000000000001","createdAt":"2026-12-02T10:00:00.000Z","eventType":"ACTOR.RUN.SUCCEEDED","eventData":{"actorId":"a"},"resource":null}',
    );
  });

  test('anything the builder did not write keeps the full form', () => {
    const sent = rebuiltHeaders({
      ...context,
      requestUrl: 'https://example.com/hook',
      requestTimestamp: 1764669600,
      requestSignatures: null,
      requestParts: null,
      body: null,
    });
    const body = renderBody(
      {
        id: '',
        requestUrl: '',
        payloadTemplate: null,
        headersTemplate: null,
        shouldInterpolateStrings: false,
        headers: null,
        properties: null,
      },
      context.variables,
    );
    const args = { context, url: 'https://example.com/hook', body, defaultPayload: true };
    expect(storedRequest({ ...args, sentHeaders: sent })).toMatchObject({
      requestHeaders: null,
      requestBody: null,
    });
    for (const sentHeaders of [
      { ...sent, 'x-added-later': '1' },
      { ...sent, 'webhook-signature': 'v1,not-a-mac' },
      { ...sent, 'X-Apify-Webhook': 'another' },
    ]) {
      expect(storedRequest({ ...args, sentHeaders })).toMatchObject({
        requestHeaders: sentHeaders,
        requestBody: body,
        requestTimestamp: null,
      });
    }
    // The attempt's traceparent (tracing on) is kept compactly and rebuilt in its place, even over a
    // customer's own header of that name.
    const traceparent = '00-af7651916cd43dd8448eb211c80319c1-b7ad6b7169203331-01';
    const customs: Array<Record<string, string>> = [
      {},
      { TraceParent: '00-forged0000000000000000000000000-0000000000000000-01' },
    ];
    for (const customHeaders of customs) {
      const given = signedHeaders({
        webhookId: context.webhookId,
        dispatchId: context.dispatchId,
        customHeaders,
        timestamp: 1764669600,
        signatures: null,
        requestOrigin: 'RICOCHET',
      });
      const traced = headersToSend(withTraceparent(given, traceparent), 'Ricochet-Webhooks/0.1', null);
      expect(Object.keys(traced).filter((name) => name.toLowerCase() === 'traceparent')).toEqual([
        'traceparent',
      ]);
      const stored = storedRequest({ ...args, sentHeaders: traced });
      expect(stored).toMatchObject({ requestHeaders: null, requestParts: { t: traceparent } });
      const rebuilt = sentRequestOf(
        {
          ...stored,
          requestSignatures: null,
          requestParts: stored.requestParts,
          requestTimestamp: stored.requestTimestamp,
        },
        context,
      );
      expect(Object.entries(rebuilt.requestHeaders ?? {})).toEqual(Object.entries(traced));
    }
    // The event gone (null variables): the body cannot be rendered again, so it is kept.
    expect(
      storedRequest({ ...args, context: { ...context, variables: null }, sentHeaders: sent }).requestBody,
    ).toBe(body);
  });
});

describe('signatures stored as which secrets signed', () => {
  const OLD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const NEW = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
  const context = {
    dispatchId: 'dispatch000000001',
    webhookId: 'webhook0000000001',
    variables: null,
    secrets: ['whsec_dGhpcmQgc2VjcmV0IG5vdCB1c2VkIGF0IGFsbA==', NEW, OLD],
  };
  const body = '{"hello":"world"}';
  const timestamp = 1764669600;
  /** The headers the sender hands the HTTP client for `signedBody`, signed with `secrets` in order. */
  const sentHeaders = (signedBody: string, secrets: string[]) =>
    headersToSend(
      signedHeaders({
        webhookId: context.webhookId,
        dispatchId: context.dispatchId,
        customHeaders: {},
        timestamp,
        signatures: {
          standard: standardWebhookSignature({
            secrets,
            messageId: context.dispatchId,
            timestamp,
            body: signedBody,
          }),
          superOffice: superOfficeSignature(secrets[0] as string, signedBody),
        },
        requestOrigin: 'RICOCHET',
      }),
      'Ricochet-Webhooks/0.1',
      null,
    );
  const headers = sentHeaders(body, [NEW, OLD]);

  test('are computed again with the secrets whose HMACs they begin with, in the order sent', () => {
    const stored = storedRequest({
      context,
      url: 'https://example.com/hook',
      sentHeaders: headers,
      body,
      defaultPayload: false,
    });
    const bytes = Buffer.from(stored.requestSignatures ?? '', 'base64');
    expect(bytes.length).toBe(1 + 2 * 4);
    const read = sentRequestOf(
      { ...stored, requestSignatures: bytes },
      { ...context, secrets: [OLD, 'whsec_dGhpcmQgc2VjcmV0IG5vdCB1c2VkIGF0IGFsbA==', NEW] },
    );
    expect(Object.entries(read.requestHeaders ?? {})).toEqual(Object.entries(headers));
    // Without the secret that signed (it cannot happen while the call exists: secrets go only with
    // their webhook), nothing false is shown: the signature headers are left out.
    const without = sentRequestOf({ ...stored, requestSignatures: bytes }, { ...context, secrets: [OLD] });
    expect(without.requestHeaders).not.toHaveProperty('webhook-signature');
  });

  test('a body cut at its storage limit was signed whole: its HMACs are kept as they are', () => {
    const long = JSON.stringify({ data: 'x'.repeat(STORED_REQUEST_BODY_LIMIT + 10) });
    const signedLong = sentHeaders(long, [NEW]);
    const stored = storedRequest({
      context,
      url: 'https://example.com/hook',
      sentHeaders: signedLong,
      body: long,
      defaultPayload: false,
    });
    expect(stored.requestHeaders).toBeNull();
    expect(Buffer.from(stored.requestSignatures ?? '', 'base64').length).toBe(64);
    const read = sentRequestOf(
      { ...stored, requestSignatures: Buffer.from(stored.requestSignatures ?? '', 'base64') },
      context,
    );
    expect(Object.entries(read.requestHeaders ?? {})).toEqual(Object.entries(signedLong));
  });
});
