import { type RunningRicochet, respond, startReceiver, startServer } from '@ricochet/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRicochetClient, isRicochetError, type RicochetClient } from '../src/index.ts';
import { waitUntil } from './helpers.ts';

let server: RunningRicochet;
let admin: RicochetClient;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  [server, receiver] = await Promise.all([startServer(), startReceiver(respond(200, 'ok'))]);
  admin = createRicochetClient({ baseUrl: server.baseUrl, token: server.token });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

/** A customer with its own token and a webhook on `path` subscribed to ACTOR.RUN.SUCCEEDED. */
async function customer(username: string, path: string) {
  const created = await admin.users.create({ username });
  const client = createRicochetClient({ baseUrl: server.baseUrl, token: created.token.token });
  const webhook = await client.webhooks.create({
    eventTypes: ['ACTOR.RUN.SUCCEEDED'],
    requestUrl: `${receiver.url}${path}`,
  });
  return { user: created.user, client, webhook };
}

describe('publishing for customers', () => {
  test('events.publish with userId, publishBatch, broadcast; a non-admin naming another user is refused', async () => {
    const acme = await customer('acme', '/acme');
    const globex = await customer('globex', '/globex');

    const event = await admin.events.publish({ userId: acme.user.id, eventType: 'ACTOR.RUN.SUCCEEDED' });
    expect(event).toMatchObject({ userId: acme.user.id, dispatchCount: 1 });
    const delivered = await waitUntil(
      async () => await acme.client.webhooks.dispatches(acme.webhook.id),
      (page) => page.items.some((dispatch) => dispatch.status === 'SUCCEEDED'),
    );
    expect(delivered.items).toHaveLength(1);
    expect((await globex.client.webhooks.dispatches(globex.webhook.id)).items).toHaveLength(0);

    const refused = await globex.client.events
      .publish({ userId: acme.user.id, eventType: 'ACTOR.RUN.SUCCEEDED' })
      .catch((error: unknown) => error);
    expect(isRicochetError(refused, 'permission-denied')).toBe(true);

    // The SDK gives each batch event its own idempotency key: the same call object sent twice is
    // one batch stored once.
    const batch = {
      events: [
        { userId: acme.user.id, eventType: 'ACTOR.RUN.SUCCEEDED', idempotencyKey: 'b-1' },
        { userId: globex.user.id, eventType: 'ACTOR.RUN.SUCCEEDED', idempotencyKey: 'b-2' },
        { userId: globex.user.id, eventType: 'TEST' },
      ],
    };
    const first = await admin.events.publishBatch(batch);
    expect(first.createdCount).toBe(3);
    expect(first.events.map((stored) => stored.userId)).toEqual([
      acme.user.id,
      globex.user.id,
      globex.user.id,
    ]);
    const repeat = await admin.events.publishBatch({ events: batch.events.slice(0, 2) });
    expect(repeat.createdCount).toBe(0);
    const badBatch = await admin.events
      .publishBatch({ events: [{ eventType: 'TEST' }, { eventType: 'no.such.type' }] })
      .catch((error: unknown) => error);
    expect(isRicochetError(badBatch, 'invalid-input')).toBe(true);

    const broadcast = await admin.events.broadcast({
      eventType: 'ACTOR.RUN.SUCCEEDED',
      idempotencyKey: 'br-1',
    });
    expect(broadcast.events.map((stored) => stored.userId).sort()).toEqual(
      [acme.user.id, globex.user.id].sort(),
    );
    expect(
      (await admin.events.broadcast({ eventType: 'ACTOR.RUN.SUCCEEDED', idempotencyKey: 'br-1' })).events,
    ).toEqual([]);
  });

  test('users.ensure is create-or-get, idempotent under concurrent calls; getByExternalId; createPortalSession', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => admin.users.ensure({ externalId: 'crm-7' })),
    );
    expect(new Set(results.map((result) => result.user.id)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const user = await admin.users.getByExternalId('crm-7');
    expect(user).toMatchObject({ externalId: 'crm-7', isAdmin: false });

    const portal = await admin.users.createPortalSession(user.id, { expiresInSeconds: 600, readOnly: true });
    expect(portal).toMatchObject({ userId: user.id, readOnly: true });
    expect(portal.url).toMatch(/\/portal#token=[A-Za-z0-9_-]{40,}$/);
    const missing = await admin.users.createPortalSession('nobody').catch((error: unknown) => error);
    expect(isRicochetError(missing, 'record-not-found')).toBe(true);
  });
});
