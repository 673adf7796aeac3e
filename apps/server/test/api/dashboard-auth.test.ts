import { SESSION_COOKIE } from '@ricochet/schema';
import type { LightMyRequestResponse } from 'fastify';
import { createSetupLink, setPassword } from '../../src/services/sessions.ts';
import { hashToken } from '../../src/services/tokens.ts';
import { describe, expect, type TestApi, test } from '../app-fixtures.ts';

/** A tRPC call as the dashboard makes it: cookie, CSRF header, no bearer token. */
function trpc(
  api: TestApi,
  type: 'query' | 'mutation',
  path: string,
  input: unknown,
  options: { cookie?: string; csrf?: string | null } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {
    ...(options.cookie && { cookie: `${SESSION_COOKIE}=${options.cookie}` }),
    ...(options.csrf !== null && { 'x-csrf-token': options.csrf ?? 'sign-in' }),
  };
  if (type === 'query') {
    const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    return api.app.inject({ method: 'GET', url: `/trpc/${path}${query}`, headers });
  }
  return api.app.inject({
    method: 'POST',
    url: `/trpc/${path}`,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify(input ?? null),
  });
}

function sessionCookieOf(response: LightMyRequestResponse) {
  return response.cookies.find((cookie) => cookie.name === SESSION_COOKIE);
}

describe('dashboard sign-in', () => {
  test('the setup link works once, sets the password and signs the admin in', async ({ api }) => {
    const link = await createSetupLink(api.prisma);
    expect(link?.username).toBe('admin');
    const token = link?.token as string;

    expect((await trpc(api, 'query', 'auth.setupLink', { token })).json().result.data).toEqual({
      username: 'admin',
    });
    const done = await trpc(api, 'mutation', 'auth.completeSetup', { token, password: 'correct horse 1' });
    expect(done.statusCode).toBe(200);
    const cookie = sessionCookieOf(done);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeFalsy();

    const again = await trpc(api, 'mutation', 'auth.completeSetup', { token, password: 'another one 12' });
    expect(again.statusCode).toBe(401);
    expect(again.json().error.data.type).toBe('token-not-valid');
    // A used link, once the password is set, sends them to sign in; no restart makes a new one.
    const used = await trpc(api, 'query', 'auth.setupLink', { token });
    expect(used.json().error.message).toMatch(/has chosen a password\. Sign in with it\./);
    expect(used.json().error.message).not.toMatch(/[Rr]estart/);
    // Once the admin has a password, no more setup links are made.
    expect(await createSetupLink(api.prisma)).toBeNull();

    const session = (await trpc(api, 'query', 'auth.session', undefined, { cookie: cookie?.value })).json()
      .result.data;
    expect(session).toMatchObject({ user: { username: 'admin' }, mode: 'FULL' });
    expect(session.capabilities).toContain('admin');
  });

  test('password sign-in, CSRF on every change, sign-out', async ({ api }) => {
    await setPassword(api.prisma, { userId: api.admin.id, password: 'a long password' });
    const wrong = await trpc(api, 'mutation', 'auth.signIn', {
      username: 'admin',
      password: 'nope nope nope',
    });
    expect(wrong.statusCode).toBe(401);
    const unknown = await trpc(api, 'mutation', 'auth.signIn', { username: 'nobody', password: 'x' });
    expect(unknown.json().error.message).toBe(wrong.json().error.message);
    // Signing in without the custom header (a cross-site form) is refused.
    const forged = await trpc(
      api,
      'mutation',
      'auth.signIn',
      { username: 'admin', password: 'a long password' },
      { csrf: null },
    );
    expect(forged.statusCode).toBe(403);

    const signedIn = await trpc(api, 'mutation', 'auth.signIn', {
      username: 'admin',
      password: 'a long password',
    });
    const cookie = sessionCookieOf(signedIn)?.value as string;
    const { csrfToken } = signedIn.json().result.data;

    const input = { eventTypes: ['TEST'], requestUrl: 'https://example.com/hook' };
    const noCsrf = await trpc(api, 'mutation', 'webhooks.create', input, { cookie, csrf: null });
    expect(noCsrf.statusCode).toBe(403);
    const badCsrf = await trpc(api, 'mutation', 'webhooks.create', input, { cookie, csrf: 'guess' });
    expect(badCsrf.statusCode).toBe(403);
    const created = await trpc(api, 'mutation', 'webhooks.create', input, { cookie, csrf: csrfToken });
    expect(created.statusCode).toBe(200);
    // Reads need no CSRF token.
    const list = await trpc(api, 'query', 'insights.webhooks', {}, { cookie, csrf: null });
    expect(list.json().result.data.total).toBe(1);

    // The cookie is not a credential for the REST API.
    const rest = await api.request('GET', '/v2/webhooks', {
      token: null,
      headers: { cookie: `${SESSION_COOKIE}=${cookie}` },
    });
    expect(rest.statusCode).toBe(401);

    const out = await trpc(api, 'mutation', 'auth.signOut', null, { cookie, csrf: csrfToken });
    expect(out.statusCode).toBe(200);
    expect(sessionCookieOf(out)?.value).toBe('');
    expect((await trpc(api, 'query', 'auth.session', undefined, { cookie })).json().result.data).toBeNull();
    expect((await trpc(api, 'query', 'insights.webhooks', {}, { cookie })).statusCode).toBe(401);
  });

  test('an API token signs in; a disabled user is signed out everywhere', async ({ api }) => {
    const bob = await api.createUser('bob');
    const signedIn = await trpc(api, 'mutation', 'auth.signInWithToken', { token: bob.token });
    expect(signedIn.json().result.data.capabilities).not.toContain('admin');
    const cookie = sessionCookieOf(signedIn)?.value as string;
    const adminOnly = await trpc(api, 'query', 'admin.users', undefined, { cookie });
    expect(adminOnly.statusCode).toBe(403);

    const disable = await api.request('POST', '/trpc/admin.setDisabled', {
      body: { userId: bob.id, disabled: true },
    });
    expect(disable.statusCode).toBe(200);
    expect((await trpc(api, 'query', 'auth.session', undefined, { cookie })).json().result.data).toBeNull();
    expect((await api.request('GET', '/v2/users/me', { token: bob.token })).statusCode).toBe(401);
  });

  test('a portal session (one customer) reaches its webhooks but no tokens and no admin pages', async ({
    api,
  }) => {
    // Portal sessions are minted by issue 11's portal links; here one is made directly.
    const cookie = 'portal-session-cookie-value';
    await api.prisma.session.create({
      data: {
        id: 'portalSession0001',
        userId: api.admin.id,
        tokenHash: hashToken(cookie),
        csrfToken: 'portal-csrf',
        mode: 'PORTAL',
        expiresAt: new Date(Date.now() + 60_000),
      },
    });
    const session = (await trpc(api, 'query', 'auth.session', undefined, { cookie })).json().result.data;
    expect(session.capabilities).toEqual(['webhooks', 'eventTypes']);
    expect((await trpc(api, 'query', 'insights.webhooks', {}, { cookie })).statusCode).toBe(200);
    expect((await trpc(api, 'query', 'tokens.list', undefined, { cookie })).statusCode).toBe(403);
    // Even when the portal's user is an admin.
    expect((await trpc(api, 'query', 'admin.users', undefined, { cookie })).statusCode).toBe(403);
    const publish = await trpc(
      api,
      'mutation',
      'events.publish',
      { eventType: 'TEST' },
      { cookie, csrf: 'portal-csrf' },
    );
    expect(publish.statusCode).toBe(403);
  });

  test('behind HTTPS the cookie is Secure', async ({ api }) => {
    await setPassword(api.prisma, { userId: api.admin.id, password: 'a long password' });
    const response = await api.app.inject({
      method: 'POST',
      url: '/trpc/auth.signIn',
      headers: { 'content-type': 'application/json', 'x-csrf-token': '1', 'x-forwarded-proto': 'https' },
      payload: JSON.stringify({ username: 'admin', password: 'a long password' }),
    });
    expect(sessionCookieOf(response)?.secure).toBe(true);
  });
});
