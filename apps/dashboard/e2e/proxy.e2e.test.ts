import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Stack, startStack } from './harness';

// Sign-in attempts each client address may make per window (RATE_LIMIT_MAX counts every request
// without a valid token per address).
const BUDGET = 3;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_MAX: String(BUDGET),
    RATE_LIMIT_WINDOW_MS: '600000',
    // The dashboard connects from 127.0.0.1; the clients below come from other loopback addresses,
    // which are therefore not trusted proxies (the default, `loopback`, would trust them too).
    TRUST_PROXY: '127.0.0.1',
    // Every attempt is for `admin`: its account lock (tested in the API's own tests) would end the
    // run before the per-address budgets this test is about.
    SIGN_IN_MAX_FAILURES: '1000',
  });
});

afterAll(async () => {
  await stack?.close();
});

/** A wrong-password sign-in as a browser on `clientAddress` sends it; the HTTP status. */
function signInAttempt(baseUrl: string, clientAddress: string, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ username: 'admin', password: 'not the password' });
  return new Promise<number>((resolve, reject) => {
    const request = httpRequest(
      `${baseUrl}/trpc/auth.signIn`,
      {
        method: 'POST',
        localAddress: clientAddress,
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': 'sign-in',
          origin: stack.dashboardUrl,
          ...headers,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function attempts(count: number, send: () => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  for (let index = 0; index < count; index++) statuses.push(await send());
  return statuses;
}

describe('sign-in rate limits behind the dashboard’s proxy', () => {
  test('each client address has its own budget, whatever X-Forwarded-For it claims', async () => {
    const refused = [...Array(BUDGET).fill(401), 429];
    // One client spends its budget through the dashboard...
    expect(await attempts(BUDGET + 1, () => signInAttempt(stack.dashboardUrl, '127.0.0.2'))).toEqual(refused);
    // ...and naming another address does not get it a new one: the dashboard appends the address it
    // really came from, and the API stops at the first address that is not a trusted proxy.
    const claimed = { 'x-forwarded-for': '203.0.113.7' };
    expect(await signInAttempt(stack.dashboardUrl, '127.0.0.2', claimed)).toBe(429);
    // Another client, through the same dashboard, still has its own.
    expect(await attempts(BUDGET + 1, () => signInAttempt(stack.dashboardUrl, '127.0.0.3'))).toEqual(refused);

    // Straight to the API from a peer that is not a trusted proxy, X-Forwarded-For is ignored: a
    // new address on every attempt still spends the peer's own budget.
    let spoofed = 0;
    const direct = await attempts(BUDGET + 1, () =>
      signInAttempt(stack.apiUrl, '127.0.0.4', { 'x-forwarded-for': `198.51.100.${++spoofed}` }),
    );
    expect(direct).toEqual(refused);
  });
});
