import { MAX_TEST_CALLS_IN_FLIGHT_PER_USER, TRPC_MAX_BATCH_SIZE } from '@ricochet/schema';
import { startReceiver } from '@ricochet/testkit';
import { describe, expect, startTestApi, test } from '../app-fixtures.ts';

/** A tRPC batch of `count` calls of one procedure with the same input: `/trpc/p,p,p?batch=1`. */
function batchOf(procedure: string, count: number, input: unknown) {
  const inputs = Object.fromEntries(Array.from({ length: count }, (_, index) => [String(index), input]));
  return { url: `/trpc/${Array(count).fill(procedure).join(',')}?batch=1`, body: inputs };
}

describe('rate limits', () => {
  test('429 rate-limit-exceeded with Retry-After, counted per token', async ({ db }) => {
    const { api, close } = await startTestApi(db.prisma, {
      RATE_LIMIT_MAX: '3',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
    try {
      for (let index = 0; index < 3; index++) {
        expect((await api.request('GET', '/v2/webhooks')).statusCode).toBe(200);
      }
      const limited = await api.request('GET', '/v2/webhooks');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.type).toBe('rate-limit-exceeded');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another token has its own budget.
      const other = await api.createUser('other');
      expect((await api.request('GET', '/v2/webhooks', { token: other.token })).statusCode).toBe(200);
      // Guessing tokens is limited per client address.
      const guesses = [];
      for (let index = 0; index < 4; index++) {
        guesses.push(
          (await api.request('GET', '/v2/webhooks', { token: `ricochet_api_guess${index}` })).statusCode,
        );
      }
      expect(guesses).toEqual([401, 401, 401, 429]);
      // Health checks are never limited.
      expect((await api.request('GET', '/healthz')).statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  test('every procedure of a tRPC batch counts against the budget; batches are bounded', async ({ db }) => {
    const { api, close } = await startTestApi(db.prisma, {
      RATE_LIMIT_MAX: '50',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
    try {
      const event = { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'a' } };
      // One procedure more than a batch may carry: refused whole, nothing published.
      const tooBig = batchOf('events.publish', TRPC_MAX_BATCH_SIZE + 1, event);
      const refused = await api.request('POST', tooBig.url, { body: tooBig.body });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.type).toBe('invalid-input');
      expect(await api.prisma.event.count()).toBe(0);

      // The 11 of the refused batch were counted; then batches of 10 until the 50 are used up.
      const batch = batchOf('events.publish', TRPC_MAX_BATCH_SIZE, event);
      const statuses: number[] = [];
      for (let index = 0; index < 10; index++) {
        statuses.push((await api.request('POST', batch.url, { body: batch.body })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
      expect(await api.prisma.event.count()).toBe(30);
      const limited = await api.request('POST', batch.url, { body: batch.body });
      expect(limited.json().error.type).toBe('rate-limit-exceeded');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });

  test('a batch of tests of unsaved definitions holds at most a few outbound calls', async ({ db }) => {
    // The receiver holds every request until the test lets go.
    const held: Array<() => void> = [];
    let holding = true;
    const receiver = await startReceiver((_request, response) => {
      if (holding) held.push(() => response.end('ok'));
      else response.end('ok');
    });
    const { api, close } = await startTestApi(db.prisma);
    try {
      const batch = batchOf('webhooks.testUnsaved', TRPC_MAX_BATCH_SIZE, { requestUrl: receiver.url });
      const answer = api.request('POST', batch.url, { body: batch.body });
      await receiver.waitFor(MAX_TEST_CALLS_IN_FLIGHT_PER_USER);
      // SuperOffice's test is a test call too, from the same user's slots.
      const superOffice = await api.request('POST', '/api/v1/Webhook/Test', {
        body: { Name: 'x', TargetUrl: receiver.url, Events: ['test'], Secret: 'secret-secret' },
      });
      expect(superOffice.statusCode).toBe(429);
      holding = false;
      for (const release of held) release();
      const results = (await answer).json() as Array<{
        result?: unknown;
        error?: { data: { type: string } };
      }>;
      expect(results).toHaveLength(TRPC_MAX_BATCH_SIZE);
      expect(results.filter((result) => result.result)).toHaveLength(MAX_TEST_CALLS_IN_FLIGHT_PER_USER);
      expect(new Set(results.flatMap((result) => (result.error ? [result.error.data.type] : [])))).toEqual(
        new Set(['rate-limit-exceeded']),
      );
      expect(receiver.received).toHaveLength(MAX_TEST_CALLS_IN_FLIGHT_PER_USER);
      // Once they finished, the slots are free again.
      const again = await api.request('POST', '/trpc/webhooks.testUnsaved', {
        body: { requestUrl: receiver.url },
      });
      expect(again.statusCode).toBe(200);
    } finally {
      await close();
      await receiver.close();
    }
  });
});
