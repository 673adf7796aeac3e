import { describe, expect, startTestApi, test, webhookInput } from '../app-fixtures.ts';
import { countDispatches } from '../dispatch-rows.ts';

const EVENT = { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } };

describe('limits answer 4xx in the envelope and store nothing', () => {
  test('webhooks per user: the one past MAX_WEBHOOKS_PER_USER is 403 too-many-webhooks, on REST and tRPC', async ({
    db,
  }) => {
    const { api, close } = await startTestApi(db.prisma, { MAX_WEBHOOKS_PER_USER: '3' });
    try {
      for (let index = 0; index < 3; index++) {
        expect((await api.request('POST', '/v2/webhooks', { body: webhookInput() })).statusCode).toBe(201);
      }
      const refused = await api.request('POST', '/v2/webhooks', { body: webhookInput() });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toMatchObject({ type: 'too-many-webhooks' });
      expect(refused.json().error.message).toMatch(/MAX_WEBHOOKS_PER_USER is 3/);
      const viaTrpc = await api.request('POST', '/trpc/webhooks.create', { body: webhookInput() });
      expect(viaTrpc.statusCode).toBe(403);
      expect(viaTrpc.json().error.data.type).toBe('too-many-webhooks');
      expect(await api.prisma.webhook.count()).toBe(3);
      // Concurrent creations cannot both take the last place.
      const other = await api.createUser('other');
      const racing = await Promise.all(
        Array.from({ length: 6 }, () =>
          api.request('POST', '/v2/webhooks', { token: other.token, body: webhookInput() }),
        ),
      );
      expect(racing.map((response) => response.statusCode).sort()).toEqual([201, 201, 201, 403, 403, 403]);
      expect(await api.prisma.webhook.count({ where: { userId: other.id } })).toBe(3);
    } finally {
      await close();
    }
  });

  test('dispatches per request: a publish, a batch or a broadcast past MAX_DISPATCHES_PER_REQUEST is 413 limit-reached', async ({
    db,
  }) => {
    const { api, close } = await startTestApi(db.prisma, { MAX_DISPATCHES_PER_REQUEST: '5' });
    try {
      for (let index = 0; index < 3; index++) {
        await api.request('POST', '/v2/webhooks', {
          body: webhookInput({ requestUrl: `https://example.com/${index}` }),
        });
      }
      // One event to 3 webhooks: within the limit.
      expect((await api.request('POST', '/v2/events', { body: EVENT })).statusCode).toBe(201);
      expect(await countDispatches(api.prisma)).toBe(3);
      const eventsBefore = await api.prisma.event.count();

      // Two events to 3 webhooks each: 6 dispatches, one request.
      const batch = await api.request('POST', '/v2/events/batch', { body: { events: [EVENT, EVENT] } });
      expect(batch.statusCode).toBe(413);
      expect(batch.json().error.type).toBe('limit-reached');
      expect(batch.json().error.message).toMatch(
        /would create 6 dispatches; one request may create at most 5/,
      );
      const batchViaTrpc = await api.request('POST', '/trpc/events.publishBatch', {
        body: { events: [EVENT, EVENT] },
      });
      expect(batchViaTrpc.statusCode).toBe(413);
      expect(batchViaTrpc.json().error.data.type).toBe('limit-reached');

      // Two more webhooks: one event now makes 5 (allowed); a sixth makes 6 (refused).
      for (let index = 3; index < 6; index++) {
        await api.request('POST', '/v2/webhooks', {
          body: webhookInput({ requestUrl: `https://example.com/${index}` }),
        });
      }
      const single = await api.request('POST', '/v2/events', { body: EVENT });
      expect(single.statusCode).toBe(413);
      expect(single.json().error.type).toBe('limit-reached');
      const broadcast = await api.request('POST', '/v2/events/broadcast', { body: EVENT });
      expect(broadcast.statusCode).toBe(413);

      // Nothing of the refused requests was stored.
      expect(await api.prisma.event.count()).toBe(eventsBefore);
      expect(await countDispatches(api.prisma)).toBe(3);
    } finally {
      await close();
    }
  });
});
