import { startServer, startThrowawayPostgres } from '@ricochet/testkit';
import { describe, expect, test } from 'vitest';
import { createRicochetClient } from '../src/index.ts';
import { recordingFetch } from './helpers.ts';

describe('retries on real transient answers', () => {
  test('429 from the rate limit: retried after Retry-After until the window opens; off switch', async () => {
    const server = await startServer({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '3000' });
    try {
      const { calls, fetch } = recordingFetch();
      const client = createRicochetClient({ baseUrl: server.baseUrl, token: server.token, fetch });
      for (let index = 0; index < 3; index++) await client.users.me();
      // The fourth request of the window is refused with Retry-After; the client waits it out.
      // Creating an event type is a POST without an idempotency key: a 429 is still safe to repeat,
      // because the rate limiter answers before the request is handled.
      const created = await client.eventTypes.create({ name: 'rate.limited' });
      expect(created.name).toBe('rate.limited');
      const statuses = calls.map((call) => call.status);
      expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 429]);
      expect(statuses.at(-1)).toBe(201);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);

      // retry: false surfaces the 429 at once, with the server's Retry-After.
      const impatient = createRicochetClient({ baseUrl: server.baseUrl, token: server.token, retry: false });
      const refused = await (async () => {
        for (let index = 0; index < 10; index++) await impatient.users.me();
      })().catch((error: unknown) => error);
      expect(refused).toMatchObject({ type: 'rate-limit-exceeded', status: 429, attempts: 1 });
      expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  test('503 while the database is stopped: retried until it is back; a keyed publish too', async () => {
    const postgres = await startThrowawayPostgres();
    const server = await startServer({ DATABASE_URL: postgres.url }).catch((error: unknown) => {
      postgres.destroy();
      throw error;
    });
    try {
      let restarted = false;
      // The database comes back once the client has seen the outage: the retries must carry the
      // call across it.
      const { calls, fetch } = recordingFetch((call) => {
        if (call.status === 503 && !restarted) {
          restarted = true;
          postgres.start();
        }
      });
      const client = createRicochetClient({
        baseUrl: server.baseUrl,
        token: server.token,
        fetch,
        retry: { retries: 10, maxDelayMs: 2000 },
      });
      await client.webhooks.create({ eventTypes: ['TEST'], requestUrl: 'https://example.com/hook' });

      postgres.stop();
      const page = await client.webhooks.list();
      expect(page.total).toBe(1);
      expect(restarted).toBe(true);
      expect(calls.map((call) => call.status)).toContain(503);
      expect(calls.at(-1)?.status).toBe(200);

      restarted = false;
      calls.length = 0;
      postgres.stop();
      const event = await client.events.publish({ eventType: 'TEST', eventData: { during: 'outage' } });
      expect(calls.map((call) => call.status)).toContain(503);
      expect(calls.filter((call) => call.status === 201)).toHaveLength(1);
      expect((await client.events.get(event.id)).eventData).toEqual({ during: 'outage' });
    } catch (error) {
      // What the server said, for a failure that needs it (a server that stopped answering).
      console.error(server.process.lines.slice(-40).join('\n'));
      throw error;
    } finally {
      await server.stop();
      postgres.destroy();
    }
  });
});
