import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, ManualClock, respond, test } from '../delivery-fixtures.ts';
import { countDispatches, findDispatch, findDispatches } from '../dispatch-rows.ts';

const RUN_EVENT = {
  eventType: 'ACTOR.RUN.SUCCEEDED',
  eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'JgwXN9BdwxGcu9MMF' },
  resource: { id: 'JgwXN9BdwxGcu9MMF', status: 'SUCCEEDED', defaultDatasetId: 'ds1' },
};

describe('fan-out', () => {
  test('one dispatch per matching webhook: type subscribed, condition fields equal, webhook active', async ({
    api,
    delivery,
  }) => {
    const matching = await delivery.webhook({ condition: { actorId: 'hksJZtadYvn4mBuin' } });
    const noCondition = await delivery.webhook({ condition: {} });
    await delivery.webhook({ condition: { actorId: 'someoneElse' } });
    await delivery.webhook({ condition: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'otherRun' } });
    await delivery.webhook({ eventTypes: ['ACTOR.RUN.FAILED'] });
    await delivery.webhook({ state: 'STOPPED' });
    const event = await delivery.publish(RUN_EVENT);
    expect(event.dispatchCount).toBe(2);
    const dispatches = await findDispatches(api.prisma, { eventId: event.id });
    expect(dispatches.map((d) => d.webhookId).sort()).toEqual([matching.id, noCondition.id].sort());
    const webhook = (await api.request('GET', `/v2/webhooks/${matching.id}`)).json().data;
    expect(webhook.stats.totalDispatches).toBe(1);
    expect(webhook.lastDispatch).toEqual({ status: 'ACTIVE', finishedAt: null, removedAt: null });
  });

  test('the same idempotencyKey returns the first event and creates no dispatches', async ({
    api,
    delivery,
  }) => {
    await delivery.webhook();
    const first = await delivery.publish({ ...RUN_EVENT, idempotencyKey: 'evt-1' });
    const second = await delivery.publish({ ...RUN_EVENT, idempotencyKey: 'evt-1' });
    expect(second).toEqual(first);
    expect(await countDispatches(api.prisma)).toBe(1);
  });

  test('events of unknown types are refused; registered custom types fan out', async ({ api, delivery }) => {
    const unknown = await api.request('POST', '/v2/events', {
      body: { eventType: 'contact.created', eventData: {} },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/eventType: unknown event type "contact.created"/);
    await api.request('POST', '/v2/event-types', { body: { name: 'contact.created' } });
    await delivery.webhook({ eventTypes: ['contact.created'], condition: null });
    expect(
      (await delivery.publish({ eventType: 'contact.created', eventData: { contactId: 42 } })).dispatchCount,
    ).toBe(1);
  });

  test('an accepted event and its dispatches are committed before the answer', async ({ api, delivery }) => {
    await delivery.webhook();
    const response = await api.request('POST', '/v2/events', { body: RUN_EVENT });
    expect(response.statusCode).toBe(201);
    const { id } = response.json().data;
    expect(await api.prisma.event.findFirst({ where: { id } })).not.toBeNull();
    expect(await countDispatches(api.prisma, { eventId: id, status: 'ACTIVE' })).toBe(1);
  });
});

describe('delivery', () => {
  test('POSTs the default payload with Apify headers and verifiable signatures, and records the call', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(200, '{"ok":true}'));
    const webhook = await delivery.webhook({ requestUrl: `${receiver.url}/hook?x=1` });
    const event = await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    const dispatch = await findDispatch(api.prisma, { eventId: event.id });
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hook?x=1');
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-apify-webhook': webhook.id,
      'x-apify-webhook-dispatch-id': dispatch.id,
      'x-apify-request-origin': 'RICOCHET',
      'webhook-id': dispatch.id,
    });
    // Product and version only: no address that could point somewhere that does not exist.
    expect(request?.headers['user-agent']).toMatch(/^Ricochet-Webhooks\/\d+(\.\d+)*$/);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      userId: api.admin.id,
      createdAt: (
        await api.prisma.event.findFirstOrThrow({ where: { id: event.id } })
      ).createdAt.toISOString(),
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: RUN_EVENT.eventData,
      resource: RUN_EVENT.resource,
    });

    const { secrets } = (await api.request('GET', `/v2/webhooks/${webhook.id}/secret`)).json().data;
    expect(secrets).toHaveLength(1);
    expect(secrets[0].secret).toMatch(/^whsec_/);
    // Any Standard Webhooks library verifies the call...
    expect(
      new StandardWebhook(secrets[0].secret).verify(
        request?.body ?? '',
        request?.headers as Record<string, string>,
      ),
    ).toEqual(JSON.parse(request?.body ?? ''));
    // ...and so does a plain HMAC of the body with the secret as stored (SuperOffice style).
    expect(request?.headers['x-superoffice-signature']).toBe(
      createHmac('sha256', secrets[0].secret)
        .update(request?.body ?? '')
        .digest('base64'),
    );

    const stored = (await api.request('GET', `/v2/webhook-dispatches/${dispatch.id}`)).json().data;
    expect(stored).toMatchObject({
      id: dispatch.id,
      webhookId: webhook.id,
      status: 'SUCCEEDED',
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: RUN_EVENT.eventData,
      webhook: { requestUrl: `${receiver.url}/hook?x=1`, isAdHoc: false },
      calls: [{ responseStatus: 200, responseBody: '{"ok":true}', errorMessage: null }],
    });
    expect(Date.parse(stored.calls[0].finishedAt)).toBeGreaterThanOrEqual(
      Date.parse(stored.calls[0].startedAt),
    );
    const after = (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data;
    expect(after.lastDispatch).toEqual({
      status: 'SUCCEEDED',
      finishedAt: stored.calls[0].finishedAt,
      removedAt: null,
    });
  });

  test('renders payload and headers templates, merges properties and static headers, keeps reserved headers', async ({
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    await delivery.webhook({
      requestUrl: receiver.url,
      payloadTemplate:
        '{"run": {{resource.id}}, "text": "Run {{resource.id}} is {{resource.status}}", "data": {{eventData}}}',
      shouldInterpolateStrings: true,
      headersTemplate:
        '{"X-Run-Id": {{resource.id}}, "X-Apify-Webhook": "spoofed", "Content-Type": "text/html"}',
      headers: { 'X-Static': 'static-value', 'User-Agent': 'spoofed' },
      properties: { tenant: 'acme', run: 'overridden by property' },
    });
    await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();
    const [request] = receiver.received;
    expect(JSON.parse(request?.body ?? '')).toEqual({
      run: 'overridden by property',
      text: 'Run JgwXN9BdwxGcu9MMF is SUCCEEDED',
      data: RUN_EVENT.eventData,
      tenant: 'acme',
    });
    expect(request?.headers['x-run-id']).toBe('JgwXN9BdwxGcu9MMF');
    expect(request?.headers['x-static']).toBe('static-value');
    expect(request?.headers['x-apify-webhook']).not.toBe('spoofed');
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.headers['user-agent']).toMatch(/^Ricochet/);
  });

  test('a template that fails at render time fails that call with a clear errorMessage', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    // Stored before validation existed (or by hand): the API would refuse this template.
    await api.prisma.webhook.update({
      where: { id: webhook.id },
      data: { payloadTemplate: '{"a": {{resource}' },
    });
    await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();
    const dispatch = await findDispatch(api.prisma);
    expect(dispatch.calls[0]?.errorMessage).toBe(
      'payloadTemplate could not be rendered: Unclosed variable, expected }} at line 1, column 7',
    );
    // Recorded, with no request: the dispatch page says nothing was sent (requestState NOT_BUILT).
    expect(dispatch.calls[0]).toMatchObject({ requestHeaders: {}, requestBody: null, responseHeaders: null });
    expect(dispatch.status).toBe('ACTIVE');
    expect(receiver.received).toHaveLength(0);
  });

  test('during a secret rotation every call carries a signature for the old and the new secret', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({
      requestUrl: receiver.url,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    const rotated = await api.request('POST', `/v2/webhooks/${webhook.id}/secret/rotate`, {
      body: { gracePeriodSeconds: 3600 },
    });
    expect(rotated.statusCode).toBe(200);
    const [newest, old] = rotated.json().data.secrets;
    expect(old.secret).toBe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(old.expiresAt).not.toBeNull();
    await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();
    const [request] = receiver.received;
    expect(String(request?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [newest.secret, old.secret]) {
      expect(() =>
        new StandardWebhook(secret).verify(request?.body ?? '', request?.headers as Record<string, string>),
      ).not.toThrow();
    }
    // After the grace period only the new secret signs.
    await api.request('POST', `/v2/webhooks/${webhook.id}/secret/rotate`, {
      body: { gracePeriodSeconds: 0 },
    });
    expect((await api.request('GET', `/v2/webhooks/${webhook.id}/secret`)).json().data.secrets).toHaveLength(
      1,
    );
  });
});

describe('outcomes and retries', () => {
  test('retries a 500 on the backoff schedule (controlled clock) until it gives up: FAILED', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(500, 'boom'));
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    const clock = new ManualClock();
    const worker = delivery.worker({ clock });
    const start = clock.current.getTime();
    const dispatch = () => findDispatch(api.prisma);

    // maxRetries 3, base 60 s doubling: attempts at 0, 60 s, 180 s, 420 s.
    expect(await worker.runOnce()).toBe(1);
    for (const [offsetMs, attempt] of [
      [60_000, 2],
      [180_000, 3],
      [420_000, 4],
    ] as const) {
      const current = await dispatch();
      expect(current.status).toBe('ACTIVE');
      expect(current.nextAttemptAt?.getTime()).toBe(start + offsetMs);
      clock.current = new Date(start + offsetMs - 1);
      expect(await worker.runOnce(), `attempt ${attempt} is not due yet`).toBe(0);
      clock.current = new Date(start + offsetMs);
      expect(await worker.runOnce()).toBe(1);
    }
    const finished = await dispatch();
    expect(finished.status).toBe('FAILED');
    expect(finished.calls).toHaveLength(4);
    expect(finished.calls.every((call) => call.responseStatus === 500 && call.responseBody === 'boom')).toBe(
      true,
    );
    expect(receiver.received).toHaveLength(4);
    clock.advance(24 * 3600_000);
    expect(await worker.runOnce()).toBe(0);
  });

  test('a retry that succeeds ends SUCCEEDED', async ({ api, delivery }) => {
    const receiver = await delivery.receiver();
    receiver.queue(respond(503, 'busy'));
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    const clock = new ManualClock();
    const worker = delivery.worker({ clock });
    await worker.runOnce();
    clock.advance(60_000);
    await worker.runOnce();
    const dispatch = await findDispatch(api.prisma);
    expect(dispatch.status).toBe('SUCCEEDED');
    expect(dispatch.calls.map((call) => call.responseStatus)).toEqual([503, 200]);
  });

  test('429 with Retry-After is retried after that delay, within bounds', async ({ api, delivery }) => {
    const receiver = await delivery.receiver(respond(429, 'slow down', { 'retry-after': '7' }));
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    const clock = new ManualClock();
    await delivery.worker({ clock }).runOnce();
    const dispatch = await findDispatch(api.prisma);
    expect(dispatch.nextAttemptAt?.getTime()).toBe(clock.current.getTime() + 7000);

    receiver.queue(respond(429, '', { 'retry-after': String(30 * 24 * 3600) }));
    clock.advance(7000);
    await delivery.worker({ clock }).runOnce();
    const capped = await findDispatch(api.prisma);
    expect(capped.nextAttemptAt?.getTime()).toBe(clock.current.getTime() + 3600_000);
  });

  test('doNotRetry means one attempt', async ({ api, delivery }) => {
    const receiver = await delivery.receiver(respond(500));
    await delivery.webhook({ requestUrl: receiver.url, doNotRetry: true });
    await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();
    expect((await findDispatch(api.prisma)).status).toBe('FAILED');
  });

  test('410 Gone fails the dispatch at once and stops the webhook', async ({ api, delivery }) => {
    const receiver = await delivery.receiver(respond(410, 'gone'));
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    await delivery.worker().runOnce();
    expect((await findDispatch(api.prisma)).status).toBe('FAILED');
    const after = (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data;
    expect(after.state).toBe('STOPPED');
    expect(after.lastDispatch.status).toBe('FAILED');
  });

  test.for([
    ['timeout', 'hold', /timed out/i],
    ['connection refused', 'closed', /refused/i],
    ['redirect', 'redirect', /redirect/i],
  ] as const)(
    '%s is a failed attempt with a clear errorMessage',
    async ([, kind, message], { api, delivery }) => {
      const receiver = await delivery.receiver(
        kind === 'redirect'
          ? respond(302, '', { location: 'http://127.0.0.1:1/elsewhere' })
          : () => undefined,
      );
      let url = receiver.url;
      if (kind === 'closed') {
        const closed = await delivery.receiver();
        url = closed.url;
        await closed.close();
      }
      await delivery.webhook({ requestUrl: url });
      await delivery.publish(RUN_EVENT);
      await delivery.worker({ settings: { attemptTimeoutMs: 500 } }).runOnce();
      const dispatch = await findDispatch(api.prisma);
      expect(dispatch.status).toBe('ACTIVE');
      expect(dispatch.calls[0]?.errorMessage).toMatch(message);
      if (kind === 'redirect') {
        expect(dispatch.calls[0]?.responseStatus).toBe(302);
        expect(receiver.received).toHaveLength(1);
      }
    },
  );

  test('a slow receiver within the timeout succeeds', async ({ api, delivery }) => {
    const receiver = await delivery.receiver((_request, response) => {
      setTimeout(() => response.end('late but fine'), 300);
    });
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    await delivery.worker({ settings: { attemptTimeoutMs: 5000 } }).runOnce();
    expect((await findDispatch(api.prisma)).status).toBe('SUCCEEDED');
  });

  test('consecutive failed dispatches set TOO_MANY_ERRORS; ACTIVE again resumes delivery', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(500));
    const webhook = await delivery.webhook({ requestUrl: receiver.url, doNotRetry: true });
    const worker = delivery.worker({ settings: { failureThreshold: 3 } });
    for (let index = 0; index < 3; index++) {
      await delivery.publish(RUN_EVENT);
      await worker.runOnce();
    }
    expect((await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data.state).toBe(
      'TOO_MANY_ERRORS',
    );
    // A stopped webhook gets no new dispatches.
    expect((await delivery.publish(RUN_EVENT)).dispatchCount).toBe(0);

    receiver.queue(respond(200));
    const resumed = await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'ACTIVE' } });
    expect(resumed.json().data.state).toBe('ACTIVE');
    expect((await delivery.publish(RUN_EVENT)).dispatchCount).toBe(1);
    await worker.runOnce();
    const after = (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data;
    expect(after).toMatchObject({ state: 'ACTIVE', lastDispatch: { status: 'SUCCEEDED' } });
    // The failures before it was switched back on are forgiven: one more does not stop it again.
    await delivery.publish(RUN_EVENT);
    await worker.runOnce();
    const afterOneMore = (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data;
    expect(afterOneMore).toMatchObject({ state: 'ACTIVE', lastDispatch: { status: 'FAILED' } });
  });

  test('dispatches of a webhook that is not ACTIVE wait, and go out when it is switched back on', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'STOPPED' } });
    const worker = delivery.worker();
    expect(await worker.runOnce()).toBe(0);
    await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'ACTIVE' } });
    expect(await worker.runOnce()).toBe(1);
    expect(receiver.received).toHaveLength(1);
  });

  test('the outbound guard refuses loopback targets unless allowed, before any request', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    await delivery.worker({ policy: { allowLoopback: false, allowPrivate: false } }).runOnce();
    const dispatch = await findDispatch(api.prisma);
    expect(dispatch.calls[0]?.errorMessage).toMatch(/127\.0\.0\.1.*loopback/);
    expect(receiver.received).toHaveLength(0);
  });

  test('NOTIFY wakes a running worker at once (polling is set to a minute)', async ({ api, delivery }) => {
    const receiver = await delivery.receiver();
    await delivery.webhook({ requestUrl: receiver.url });
    const worker = delivery.worker({ listen: true, settings: { pollIntervalMs: 60_000 } });
    await worker.start();
    // Let the first (empty) claim finish so the worker is asleep on its long poll.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await delivery.publish(RUN_EVENT);
    await receiver.waitFor(1);
    await worker.stop();
    await expect.poll(async () => (await findDispatch(api.prisma)).status).toBe('SUCCEEDED');
  });
});
