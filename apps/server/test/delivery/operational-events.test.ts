import { OPERATIONAL_EVENT_TYPES, OperationalEventDataSchemas } from '@ricochet/schema';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { webhookInput } from '../app-fixtures.ts';
import { describe, expect, respond, test } from '../delivery-fixtures.ts';

const RUN_EVENT = {
  eventType: 'ACTOR.RUN.SUCCEEDED',
  eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'JgwXN9BdwxGcu9MMF' },
};

type Received = { eventType: string; eventData: Record<string, unknown> };

/** The operational events a receiver got, in order, each checked against its documented schema. */
function operationalEvents(receiver: { received: Array<{ body: string }> }): Received[] {
  return receiver.received.map((request) => {
    const payload = JSON.parse(request.body) as Received;
    const schema = OperationalEventDataSchemas[payload.eventType as keyof typeof OperationalEventDataSchemas];
    expect(schema, `${payload.eventType} is an operational event type`).toBeDefined();
    schema.parse(payload.eventData);
    return payload;
  });
}

describe('operational events', () => {
  test('a receiver failing to the threshold: failing, then disabled, and each dispatch exhausted, delivered signed to the owner', async ({
    api,
    delivery,
  }) => {
    const operations = await delivery.receiver();
    const subscriber = await delivery.webhook({
      requestUrl: operations.url,
      eventTypes: ['ricochet.webhook.failing', 'ricochet.webhook.disabled', 'ricochet.dispatch.exhausted'],
      condition: {},
    });
    const broken = await delivery.receiver(respond(500));
    const webhook = await delivery.webhook({ requestUrl: broken.url, doNotRetry: true });
    const worker = delivery.worker({ settings: { failureThreshold: 3 } });
    for (let index = 0; index < 3; index++) {
      await delivery.publish(RUN_EVENT);
      while ((await worker.runOnce()) > 0) {}
    }
    expect((await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data.state).toBe(
      'TOO_MANY_ERRORS',
    );
    // Events of one transaction are delivered at once, in any order: compare as a set, then by kind.
    const events = operationalEvents(operations);
    expect(events.map((event) => event.eventType).sort()).toEqual([
      'ricochet.dispatch.exhausted',
      'ricochet.dispatch.exhausted',
      'ricochet.dispatch.exhausted',
      'ricochet.webhook.disabled',
      'ricochet.webhook.failing',
    ]);
    const failing = events.find((event) => event.eventType === 'ricochet.webhook.failing');
    const disabled = events.find((event) => event.eventType === 'ricochet.webhook.disabled');
    const exhausted = events.find((event) => event.eventType === 'ricochet.dispatch.exhausted');
    expect(failing?.eventData).toMatchObject({
      webhookId: webhook.id,
      reason: 'FAILED_DISPATCHES',
      failures: 2,
      lastResponseStatus: 500,
    });
    expect(disabled?.eventData).toMatchObject({
      webhookId: webhook.id,
      state: 'TOO_MANY_ERRORS',
      reason: 'TOO_MANY_ERRORS',
      failedDispatches: 3,
      lastResponseStatus: 500,
    });
    expect(exhausted?.eventData).toMatchObject({
      webhookId: webhook.id,
      requestUrl: broken.url,
      eventType: 'ACTOR.RUN.SUCCEEDED',
      attempts: 1,
      lastResponseStatus: 500,
    });
    // Signed like any delivery, with the subscriber's secret.
    const { secrets } = (await api.request('GET', `/v2/webhooks/${subscriber.id}/secret`)).json().data;
    const request = operations.received[0];
    expect(() =>
      new StandardWebhook(secrets[0].secret).verify(request?.body ?? '', {
        'webhook-id': String(request?.headers['webhook-id']),
        'webhook-timestamp': String(request?.headers['webhook-timestamp']),
        'webhook-signature': String(request?.headers['webhook-signature']),
      }),
    ).not.toThrow();
  });

  test('a failing webhook that delivers again is recovered, once', async ({ delivery }) => {
    const operations = await delivery.receiver();
    await delivery.webhook({
      requestUrl: operations.url,
      eventTypes: ['ricochet.webhook.failing', 'ricochet.webhook.recovered'],
      condition: {},
    });
    const flaky = await delivery.receiver(respond(200));
    flaky.queue(respond(503), respond(503));
    const webhook = await delivery.webhook({ requestUrl: flaky.url, doNotRetry: true });
    const worker = delivery.worker({ settings: { failureThreshold: 4 } });
    for (let index = 0; index < 4; index++) {
      await delivery.publish(RUN_EVENT);
      while ((await worker.runOnce()) > 0) {}
    }
    const events = operationalEvents(operations);
    expect(events.map((event) => event.eventType)).toEqual([
      'ricochet.webhook.failing',
      'ricochet.webhook.recovered',
    ]);
    expect(events[1]?.eventData).toMatchObject({ webhookId: webhook.id, state: 'ACTIVE' });
    expect(Date.parse(String(events[1]?.eventData.failingSince))).not.toBeNaN();
  });

  test('a receiver that never answers opens the circuit: failing (NO_RESPONSE)', async ({ delivery }) => {
    const operations = await delivery.receiver();
    await delivery.webhook({
      requestUrl: operations.url,
      eventTypes: ['ricochet.webhook.failing'],
      condition: {},
    });
    const closed = await delivery.receiver();
    const url = closed.url;
    await closed.close();
    const webhook = await delivery.webhook({ requestUrl: url });
    const worker = delivery.worker({
      settings: { circuit: { failureThreshold: 2, probeDelayMs: 600_000, maxProbeDelayMs: 600_000 } },
    });
    for (let index = 0; index < 2; index++) {
      await delivery.publish(RUN_EVENT);
      await worker.runOnce();
    }
    while ((await worker.runOnce()) > 0) {}
    const events = operationalEvents(operations);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventType: 'ricochet.webhook.failing',
      eventData: { webhookId: webhook.id, reason: 'NO_RESPONSE', failures: 2, lastResponseStatus: null },
    });
    expect(String(events[0]?.eventData.lastError)).toMatch(/ECONNREFUSED/);
  });

  test('a webhook failing to take operational events is not told so by more of them', async ({
    api,
    delivery,
  }) => {
    const broken = await delivery.receiver(respond(500));
    const webhook = await delivery.webhook({
      requestUrl: broken.url,
      eventTypes: ['ricochet.dispatch.exhausted', 'ricochet.webhook.created'],
      condition: {},
      doNotRetry: true,
    });
    // Its own creation event was its first dispatch; each event below makes one more.
    const worker = delivery.worker({ settings: { failureThreshold: 100 } });
    for (let index = 0; index < 3; index++) {
      await delivery.webhook({ requestUrl: 'https://example.com/another' });
    }
    while ((await worker.runOnce()) > 0) {}
    // Four dispatches, all failed, and none of them made another event.
    expect(broken.received).toHaveLength(4);
    const dispatches = (await api.request('GET', `/v2/webhooks/${webhook.id}/dispatches`)).json().data;
    expect(dispatches.total).toBe(4);
  });

  test('API actions: created, updated, enabled, secret rotated, deleted; none carries a secret', async ({
    api,
    delivery,
  }) => {
    const operations = await delivery.receiver();
    await delivery.webhook({
      requestUrl: operations.url,
      eventTypes: OPERATIONAL_EVENT_TYPES.filter((type) => type.startsWith('ricochet.webhook.')),
      condition: {},
    });
    const webhook = await delivery.webhook({ description: 'orders' });
    await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'STOPPED' } });
    await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'ACTIVE' } });
    const rotated = await api.request('POST', `/v2/webhooks/${webhook.id}/secret/rotate`, {
      body: { gracePeriodSeconds: 3600 },
    });
    expect(rotated.statusCode).toBe(200);
    await api.request('DELETE', `/v2/webhooks/${webhook.id}`);
    const worker = delivery.worker();
    while ((await worker.runOnce()) > 0) {}
    // Delivered together by one worker pass, so in any order.
    const events = operationalEvents(operations).filter((event) => event.eventData.webhookId === webhook.id);
    expect(events.map((event) => event.eventType).sort()).toEqual([
      'ricochet.webhook.created',
      'ricochet.webhook.deleted',
      'ricochet.webhook.enabled',
      'ricochet.webhook.secret_rotated',
      'ricochet.webhook.updated',
      'ricochet.webhook.updated',
    ]);
    const of = (type: string) =>
      events.filter((event) => event.eventType === type).map((event) => event.eventData);
    expect(of('ricochet.webhook.created')[0]).toMatchObject({
      description: 'orders',
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
    });
    expect(of('ricochet.webhook.updated')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ state: 'STOPPED', changed: ['state'] }),
        expect.objectContaining({ state: 'ACTIVE', changed: ['state'] }),
      ]),
    );
    expect(of('ricochet.webhook.enabled')[0]).toMatchObject({ state: 'ACTIVE', previousState: 'STOPPED' });
    const secrets = (await api.prisma.webhookSecret.findMany()).map((row) => row.secret);
    for (const request of operations.received) {
      for (const secret of secrets) expect(request.body).not.toContain(secret);
    }
  });

  test('only Ricochet publishes them: publishing or registering a ricochet.* type is refused, 400', async ({
    api,
  }) => {
    for (const [path, body] of [
      ['/v2/events', { eventType: 'ricochet.webhook.disabled', eventData: {} }],
      ['/v2/events/batch', { events: [{ eventType: 'ricochet.anything', eventData: {} }] }],
      ['/v2/event-types', { name: 'ricochet.custom' }],
    ] as const) {
      const response = await api.request('POST', path, { body });
      expect(response.statusCode, path).toBe(400);
      expect(response.json().error.type).toBe('invalid-input');
      expect(response.json().error.message).toMatch(/ricochet\./);
    }
    expect(await api.prisma.event.count()).toBe(0);
  });

  test('the catalogue lists every operational type with its description and a valid example', async ({
    api,
  }) => {
    const catalogue = (await api.request('GET', '/v2/event-types')).json().data;
    const items = Array.isArray(catalogue) ? catalogue : catalogue.items;
    for (const type of OPERATIONAL_EVENT_TYPES) {
      const entry = items.find((item: { name: string }) => item.name === type);
      expect(entry, type).toMatchObject({ builtIn: true });
      expect(entry.description.length).toBeGreaterThan(10);
      OperationalEventDataSchemas[type].parse(entry.exampleData);
    }
  });
});

describe("a webhook's notifications", () => {
  test('its changes are kept for its page whoever subscribed, newest first, on REST and tRPC; not another user', async ({
    api,
    delivery,
  }) => {
    const broken = await delivery.receiver(respond(500));
    const webhook = await delivery.webhook({ requestUrl: broken.url, doNotRetry: true });
    const worker = delivery.worker({ settings: { failureThreshold: 2 } });
    for (let index = 0; index < 2; index++) {
      await delivery.publish(RUN_EVENT);
      while ((await worker.runOnce()) > 0) {}
    }
    await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'ACTIVE' } });
    const rest = await api.request('GET', `/v2/webhooks/${webhook.id}/notifications`);
    expect(rest.statusCode).toBe(200);
    const types = rest.json().data.items.map((item: { eventType: string }) => item.eventType);
    expect(types).toEqual([
      'ricochet.webhook.enabled',
      'ricochet.webhook.updated',
      'ricochet.webhook.disabled',
      'ricochet.webhook.failing',
      'ricochet.webhook.created',
    ]);
    // Nobody subscribed: no event was stored for them, only the notifications.
    expect(await api.prisma.event.count({ where: { eventType: { startsWith: 'ricochet.' } } })).toBe(0);
    const input = encodeURIComponent(JSON.stringify({ webhookId: webhook.id, query: { limit: 2 } }));
    const trpc = (await api.request('GET', `/trpc/webhooks.notifications?input=${input}`)).json().result.data;
    expect(trpc.items.map((item: { eventType: string }) => item.eventType)).toEqual(types.slice(0, 2));
    const other = await api.createUser('other');
    const theirs = await api.request('GET', `/v2/webhooks/${webhook.id}/notifications`, {
      token: other.token,
    });
    expect(theirs.statusCode).toBe(404);
  });
});

describe('operators', () => {
  test("an admin's subscription gets every user's operational events; a user gets only their own", async ({
    api,
    delivery,
  }) => {
    const operator = await delivery.receiver();
    await delivery.webhook({
      requestUrl: operator.url,
      eventTypes: ['ricochet.webhook.created'],
      condition: {},
    });
    const customer = await api.createUser('customer');
    const own = await delivery.receiver();
    const asCustomer = (body: Record<string, unknown>) =>
      api.request('POST', '/v2/webhooks', { token: customer.token, body: webhookInput(body) });
    expect(
      (await asCustomer({ requestUrl: own.url, eventTypes: ['ricochet.webhook.created'], condition: {} }))
        .statusCode,
    ).toBe(201);
    const theirs = (await asCustomer({ requestUrl: 'https://example.com/customer' })).json().data;
    await delivery.webhook({ requestUrl: 'https://example.com/admin-own' });
    const worker = delivery.worker();
    while ((await worker.runOnce()) > 0) {}
    const seen = (receiver: { received: Array<{ body: string }> }) =>
      operationalEvents(receiver)
        .map((event) => `${event.eventData.userId}:${event.eventData.requestUrl}`)
        .sort();
    // The operator: its own two creations and the customer's two, each saying whose.
    expect(seen(operator)).toEqual(
      [
        `${api.admin.id}:${operator.url}`,
        `${api.admin.id}:https://example.com/admin-own`,
        `${customer.id}:${own.url}`,
        `${customer.id}:https://example.com/customer`,
      ].sort(),
    );
    // The customer: only their own.
    expect(seen(own)).toEqual(
      [`${customer.id}:${own.url}`, `${customer.id}:https://example.com/customer`].sort(),
    );
    expect(theirs.id).toBeTruthy();
  });
});
