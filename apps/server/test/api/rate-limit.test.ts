import { describe, expect, startTestApi, test } from '../app-fixtures.ts';

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
});
