import { MAX_EVENT_BATCH_SIZE } from '@ricochet/schema';
import { createApiToken } from '../../src/services/tokens.ts';
import type { TestApi } from '../app-fixtures.ts';
import { describe, expect, test } from '../delivery-fixtures.ts';
import { countDispatches, findDispatches } from '../dispatch-rows.ts';

/**
 * A customer made the way a team would (create-or-get by externalId), with a webhook on `url`
 * subscribed to `eventTypes`, created by the customer itself (through a token of its own).
 */
async function customer(api: TestApi, externalId: string, url: string, eventTypes = ['order.paid']) {
  const ensured = await api.request('POST', '/v2/users/by-external-id', { body: { externalId } });
  expect(ensured.statusCode).toBe(200);
  const user = ensured.json().data.user as { id: string; externalId: string };
  const { token } = await createApiToken(api.prisma, { userId: user.id, name: 'setup', scope: 'FULL' });
  for (const name of eventTypes.filter((type) => !type.startsWith('ACTOR.'))) {
    const created = await api.request('POST', '/v2/event-types', { token, body: { name } });
    expect(created.statusCode).toBe(201);
  }
  return { user, token, webhookId: await webhookOf(api, token, url, eventTypes) };
}

async function webhookOf(api: TestApi, token: string, url: string, eventTypes: string[]) {
  const webhook = await api.request('POST', '/v2/webhooks', { token, body: { requestUrl: url, eventTypes } });
  expect(webhook.statusCode).toBe(201);
  return webhook.json().data.id as string;
}

async function dispatchCounts(api: TestApi) {
  const counts: Record<string, number> = {};
  for (const dispatch of await findDispatches(api.prisma))
    counts[dispatch.userId] = (counts[dispatch.userId] ?? 0) + 1;
  return counts;
}

describe('publishing on behalf of customers', () => {
  test('an admin publishes for user A and only A’s webhooks receive it', async ({ api, delivery }) => {
    const receiver = await delivery.receiver();
    const a = await customer(api, 'acme', `${receiver.url}/acme`);
    const b = await customer(api, 'globex', `${receiver.url}/globex`);

    const published = await api.request('POST', '/v2/events', {
      body: { userId: a.user.id, eventType: 'order.paid', eventData: { orderId: 'o-1' } },
    });
    expect(published.statusCode).toBe(201);
    expect(published.json().data).toMatchObject({ userId: a.user.id, dispatchCount: 1 });

    const worker = delivery.worker();
    await worker.runOnce();
    expect(receiver.received.map((request) => request.url)).toEqual(['/acme']);
    expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({ eventData: { orderId: 'o-1' } });
    // B has no dispatch at all, so nothing can ever be delivered to it; the admin's own user has none either.
    expect(await dispatchCounts(api)).toEqual({ [a.user.id]: 1 });
    expect(b.user.id).not.toBe(a.user.id);
  });

  test('a non-admin naming another user is refused, and stores nothing', async ({ api }) => {
    const mallory = await api.createUser('mallory');
    const victim = await api.createUser('victim');
    const single = await api.request('POST', '/v2/events', {
      token: mallory.token,
      body: { userId: victim.id, eventType: 'TEST' },
    });
    expect(single.statusCode).toBe(403);
    expect(single.json().error.type).toBe('permission-denied');
    const batch = await api.request('POST', '/v2/events/batch', {
      token: mallory.token,
      body: { events: [{ eventType: 'TEST' }, { userId: victim.id, eventType: 'TEST' }] },
    });
    expect(batch.statusCode).toBe(403);
    const broadcast = await api.request('POST', '/v2/events/broadcast', {
      token: mallory.token,
      body: { eventType: 'TEST' },
    });
    expect(broadcast.statusCode).toBe(403);
    // Naming yourself is fine.
    const own = await api.request('POST', '/v2/events', {
      token: mallory.token,
      body: { userId: mallory.id, eventType: 'TEST' },
    });
    expect(own.statusCode).toBe(201);
    expect(await api.prisma.event.count()).toBe(1);
    // An admin naming a user who does not exist gets 404, not an orphan event.
    const nobody = await api.request('POST', '/v2/events', { body: { userId: 'nobody', eventType: 'TEST' } });
    expect(nobody.statusCode).toBe(404);
  });

  test('a batch of 1,000 is published in one request, all or nothing', async ({ api, delivery }) => {
    const receiver = await delivery.receiver();
    const a = await customer(api, 'acme', `${receiver.url}/acme`);
    const b = await customer(api, 'globex', `${receiver.url}/globex`);
    const events = Array.from({ length: MAX_EVENT_BATCH_SIZE }, (_, index) => ({
      userId: index % 2 === 0 ? a.user.id : b.user.id,
      eventType: 'order.paid',
      eventData: { index },
      idempotencyKey: `order-${index}`,
    }));

    // One bad event (a type the user never registered), the last one: nothing at all is stored.
    const bad = await api.request('POST', '/v2/events/batch', {
      body: { events: [...events.slice(0, -1), { ...events.at(-1), eventType: 'order.unknown' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('events.999.eventType');
    // An event too many is refused as a whole too.
    const tooMany = await api.request('POST', '/v2/events/batch', {
      body: { events: [...events, { eventType: 'TEST' }] },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(await api.prisma.event.count()).toBe(0);
    expect(await countDispatches(api.prisma)).toBe(0);

    const good = await api.request('POST', '/v2/events/batch', { body: { events } });
    expect(good.statusCode).toBe(201);
    const result = good.json().data as {
      createdCount: number;
      events: Array<{ userId: string; eventData: { index: number }; dispatchCount: number }>;
    };
    expect(result.createdCount).toBe(1000);
    expect(result.events.map((event) => event.eventData.index)).toEqual(events.map((_, index) => index));
    expect(result.events.every((event) => event.dispatchCount === 1)).toBe(true);
    expect(await dispatchCounts(api)).toEqual({ [a.user.id]: 500, [b.user.id]: 500 });

    // The same batch again (a retry after a lost answer) stores nothing and answers the same events.
    const again = await api.request('POST', '/v2/events/batch', { body: { events } });
    expect(again.statusCode).toBe(201);
    expect(again.json().data.createdCount).toBe(0);
    expect(again.json().data.events.map((event: { id: string }) => event.id)).toEqual(
      good.json().data.events.map((event: { id: string }) => event.id),
    );
    expect(await api.prisma.event.count()).toBe(1000);

    // A batch whose statement fails in the database (a user deleted after the checks cannot be
    // staged here, so: a duplicate key inside one batch is refused before it) stores nothing.
    const duplicateKeys = await api.request('POST', '/v2/events/batch', {
      body: {
        events: [
          { eventType: 'TEST', idempotencyKey: 'k' },
          { eventType: 'TEST', idempotencyKey: 'k' },
        ],
      },
    });
    expect(duplicateKeys.statusCode).toBe(400);
    expect(await api.prisma.event.count()).toBe(1000);
  });

  test('a broadcast reaches every subscribed user once, and its repeat reaches nobody again', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const a = await customer(api, 'acme', `${receiver.url}/acme`, ['ACTOR.RUN.SUCCEEDED']);
    // Globex has two webhooks on the type: each gets it once.
    const b = await customer(api, 'globex', `${receiver.url}/globex`, ['ACTOR.RUN.SUCCEEDED']);
    await webhookOf(api, b.token, `${receiver.url}/globex-2`, ['ACTOR.RUN.SUCCEEDED', 'ACTOR.RUN.FAILED']);
    // Initech subscribes to another type; Umbrella's webhook on the type is stopped.
    await customer(api, 'initech', `${receiver.url}/initech`, ['ACTOR.RUN.FAILED']);
    const umbrella = await customer(api, 'umbrella', `${receiver.url}/umbrella`, ['ACTOR.RUN.SUCCEEDED']);
    await api.prisma.webhook.update({ where: { id: umbrella.webhookId }, data: { state: 'STOPPED' } });

    const body = {
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorRunId: 'r1' },
      idempotencyKey: 'release-1',
    };
    const broadcast = await api.request('POST', '/v2/events/broadcast', { body });
    expect(broadcast.statusCode).toBe(201);
    const result = broadcast.json().data as { dispatchCount: number; events: Array<{ userId: string }> };
    expect(result.events.map((event) => event.userId).sort()).toEqual([a.user.id, b.user.id].sort());
    expect(result.dispatchCount).toBe(3);

    const worker = delivery.worker();
    await worker.runOnce();
    expect(receiver.received.map((request) => request.url).sort()).toEqual(['/acme', '/globex', '/globex-2']);

    const repeat = await api.request('POST', '/v2/events/broadcast', { body });
    expect(repeat.json().data).toEqual({ events: [], dispatchCount: 0 });
    expect(await countDispatches(api.prisma)).toBe(3);
  });

  test('create-or-get by externalId is idempotent under concurrent calls', async ({ api }) => {
    const calls = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.request('POST', '/v2/users/by-external-id', { body: { externalId: 'cus_42' } }),
      ),
    );
    expect(calls.map((call) => call.statusCode)).toEqual(Array(20).fill(200));
    const results = calls.map((call) => call.json().data as { user: { id: string }; created: boolean });
    expect(new Set(results.map((result) => result.user.id)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await api.prisma.user.count({ where: { externalId: 'cus_42' } })).toBe(1);

    const found = await api.request('GET', '/v2/users/by-external-id/cus_42');
    expect(found.json().data).toMatchObject({ id: results[0]?.user.id, externalId: 'cus_42' });
    const missing = await api.request('GET', '/v2/users/by-external-id/cus_43');
    expect(missing.statusCode).toBe(404);

    // A chosen username that another user already has is a conflict, not a second user.
    const taken = await api.request('POST', '/v2/users/by-external-id', {
      body: { externalId: 'cus_44', username: 'admin' },
    });
    expect(taken.statusCode).toBe(409);
    const notAdmin = await api.createUser('plain');
    const refused = await api.request('POST', '/v2/users/by-external-id', {
      token: notAdmin.token,
      body: { externalId: 'cus_45' },
    });
    expect(refused.statusCode).toBe(403);
  });
});

describe('the event type catalogue', () => {
  test('event types carry a description and an example payload (built-in ones too)', async ({ api }) => {
    const created = await api.request('POST', '/v2/event-types', {
      body: {
        name: 'invoice.paid',
        description: 'An invoice was paid.',
        exampleData: { invoiceId: 'in_1', amount: 4200 },
      },
    });
    expect(created.statusCode).toBe(201);
    const types = (await api.request('GET', '/v2/event-types')).json().data as Array<Record<string, unknown>>;
    expect(types.find((type) => type.name === 'invoice.paid')).toMatchObject({
      description: 'An invoice was paid.',
      exampleData: { invoiceId: 'in_1', amount: 4200 },
      builtIn: false,
    });
    for (const builtIn of types.filter((type) => type.builtIn)) {
      expect(builtIn.description, String(builtIn.name)).toEqual(expect.any(String));
      expect(builtIn.exampleData, String(builtIn.name)).toEqual(expect.any(Object));
    }
    const tooBig = await api.request('POST', '/v2/event-types', {
      body: { name: 'big.one', exampleData: { blob: 'x'.repeat(20_000) } },
    });
    expect(tooBig.statusCode).toBe(400);
  });
});
