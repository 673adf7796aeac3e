import { TRPC_MAX_BATCH_SIZE } from '@ricochet/schema';
import type { LightMyRequestResponse } from 'fastify';
import { setPassword } from '../../src/services/sessions.ts';
import { describe, expect, startTestApi, type TestApi, test } from '../app-fixtures.ts';

const PASSWORD = 'the right password 1';

/** auth.signIn as the dashboard's proxy forwards it: CSRF header, the client's address appended. */
function signIn(
  api: TestApi,
  input: { username: string; password: string },
  client = '203.0.113.10',
): Promise<LightMyRequestResponse> {
  return api.app.inject({
    method: 'POST',
    url: '/trpc/auth.signIn',
    headers: { 'content-type': 'application/json', 'x-csrf-token': 'sign-in', 'x-forwarded-for': client },
    payload: JSON.stringify(input),
  });
}

const typeOf = (response: LightMyRequestResponse) => response.json().error?.data?.type as string | undefined;

describe('sign-in limits', () => {
  test('an account is locked after repeated failures, longer each time, and opens once the attacker stops', async ({
    db,
  }) => {
    const { api, close } = await startTestApi(db.prisma, {
      SIGN_IN_MAX_FAILURES: '3',
      SIGN_IN_LOCKOUT_MS: '1000',
      SIGN_IN_LOCKOUT_MAX_MS: '3000',
      SIGN_IN_CLIENT_MAX_FAILURES: '1000',
    });
    try {
      await setPassword(api.prisma, { userId: api.admin.id, password: PASSWORD });
      const wrong = { username: 'admin', password: 'a wrong guess 1' };
      const first = [];
      for (let index = 0; index < 3; index++) first.push((await signIn(api, wrong)).statusCode);
      expect(first).toEqual([401, 401, 401]);
      // Locked: refused before the password is looked at, even the right one, from any address.
      const locked = await signIn(api, { username: 'admin', password: PASSWORD }, '198.51.100.7');
      expect(locked.statusCode).toBe(429);
      expect(typeOf(locked)).toBe('rate-limit-exceeded');
      const retryAfter = Number(locked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(3);

      // The attacker keeps going for a while, from many addresses: every guess is refused or fails,
      // and each failure past the threshold locks the account longer (capped at 3 s).
      const deadline = Date.now() + 4_000;
      const attack: number[] = [];
      for (let index = 0; Date.now() < deadline; index++) {
        attack.push((await signIn(api, wrong, `192.0.2.${index % 250}`)).statusCode);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(new Set(attack)).toEqual(new Set([401, 429]));
      expect(attack.filter((status) => status === 401).length).toBeLessThanOrEqual(4);

      // Once the attacker stops, the owner gets in within the longest lockout.
      const stopped = Date.now();
      let owner: LightMyRequestResponse;
      for (;;) {
        owner = await signIn(api, { username: 'admin', password: PASSWORD });
        if (owner.statusCode !== 429) break;
        expect(Date.now() - stopped).toBeLessThan(3_000 + 2_000);
        await new Promise((resolve) => setTimeout(resolve, Number(owner.headers['retry-after']) * 250));
      }
      expect(owner.statusCode).toBe(200);
      // And the failures are forgotten: the next mistake is a plain 401.
      expect((await signIn(api, wrong)).statusCode).toBe(401);
    } finally {
      await close();
    }
  });

  test('a client address is locked after failing on many accounts; others are not', async ({ db }) => {
    const { api, close } = await startTestApi(db.prisma, {
      SIGN_IN_CLIENT_MAX_FAILURES: '4',
      SIGN_IN_LOCKOUT_MS: '60000',
    });
    try {
      await setPassword(api.prisma, { userId: api.admin.id, password: PASSWORD });
      const statuses = [];
      for (let index = 0; index < 6; index++) {
        statuses.push(
          (await signIn(api, { username: `user-${index}`, password: 'guess guess 1' })).statusCode,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
      // API tokens guessed through the sign-in form count against the same address.
      const token = await api.app.inject({
        method: 'POST',
        url: '/trpc/auth.signInWithToken',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': 'sign-in',
          'x-forwarded-for': '203.0.113.10',
        },
        payload: JSON.stringify({ token: api.admin.token }),
      });
      expect(token.statusCode).toBe(429);
      // The real user, elsewhere, signs in.
      expect((await signIn(api, { username: 'admin', password: PASSWORD }, '198.51.100.1')).statusCode).toBe(
        200,
      );
    } finally {
      await close();
    }
  });

  test('every sign-in of a tRPC batch counts', async ({ db }) => {
    const { api, close } = await startTestApi(db.prisma, { SIGN_IN_MAX_FAILURES: '3' });
    try {
      await setPassword(api.prisma, { userId: api.admin.id, password: PASSWORD });
      const inputs = Object.fromEntries(
        Array.from({ length: TRPC_MAX_BATCH_SIZE }, (_, index) => [
          String(index),
          { username: 'admin', password: `wrong guess ${index}` },
        ]),
      );
      const response = await api.app.inject({
        method: 'POST',
        url: `/trpc/${Array(TRPC_MAX_BATCH_SIZE).fill('auth.signIn').join(',')}?batch=1`,
        headers: { 'content-type': 'application/json', 'x-csrf-token': 'sign-in' },
        payload: JSON.stringify(inputs),
      });
      const types = (response.json() as Array<{ error: { data: { type: string } } }>).map(
        (result) => result.error.data.type,
      );
      expect(types.filter((type) => type === 'token-not-valid')).toHaveLength(3);
      expect(types.filter((type) => type === 'rate-limit-exceeded')).toHaveLength(TRPC_MAX_BATCH_SIZE - 3);
    } finally {
      await close();
    }
  });

  test('a flood of sign-ins never runs more than two password hashes at once, and the API keeps answering', async ({
    db,
  }) => {
    const { api, close } = await startTestApi(db.prisma);
    try {
      // 200 guesses at once, each for another account from another address: no limit applies to
      // any of them, so only the bound on hashing stands between them and the thread pool.
      const flood = Array.from({ length: 200 }, (_, index) =>
        signIn(
          api,
          { username: `nobody-${index}`, password: 'guess guess 1' },
          `10.9.${index >> 8}.${index & 255}`,
        ),
      );
      const during: number[] = [];
      const probe = (async () => {
        for (let index = 0; index < 10; index++) {
          const started = performance.now();
          expect((await api.request('GET', '/healthz', { token: null })).statusCode).toBe(200);
          during.push(performance.now() - started);
        }
      })();
      const statuses = (await Promise.all(flood)).map((response) => response.statusCode);
      await probe;
      // Beyond the ones waiting for a slot, sign-ins are refused at once (429), never queued for ever.
      expect(new Set(statuses)).toEqual(new Set([401, 429]));
      const metrics = (await api.request('GET', '/metrics', { token: null })).body;
      const peak = Number(/^ricochet_password_hashes_peak (\d+)/m.exec(metrics)?.[1]);
      expect(peak).toBeGreaterThanOrEqual(1);
      expect(peak).toBeLessThanOrEqual(2);
      expect(Math.max(...during)).toBeLessThan(5_000);
    } finally {
      await close();
    }
  });
});
