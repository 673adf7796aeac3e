import {
  CreatePortalSessionInputSchema,
  ERROR_HTTP_STATUS,
  SESSION_COOKIE,
  SESSION_HEADER,
} from '@ricochet/schema';
import { createPortalSession, openPortalSession } from '../../src/services/portal-sessions.ts';
import { setPassword } from '../../src/services/sessions.ts';
import { describe, expect, startTestApi, type TestApi, test } from '../app-fixtures.ts';

const PASSWORD = 'a long password';
const DASHBOARD_URL = 'http://dashboard.example:8788';
const WEBHOOK = { eventTypes: ['TEST'], requestUrl: 'https://example.com/hook' };

type Answer = { status: number; body: { error?: { type?: string }; result?: { data: unknown } } };

/** A tRPC mutation over a real socket, with the headers a browser (or a proxy) would add. */
async function mutation(
  baseUrl: string,
  path: string,
  input: unknown,
  headers: Record<string, string>,
): Promise<Answer & { setCookie: string[] }> {
  const response = await fetch(`${baseUrl}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as Answer['body'];
  return { status: response.status, body, setCookie: response.headers.getSetCookie() };
}

/** Signs the admin in from the API's own origin; the session cookie and its CSRF token. */
async function signIn(api: TestApi, baseUrl: string) {
  await setPassword(api.prisma, { userId: api.admin.id, password: PASSWORD });
  const answer = await mutation(
    baseUrl,
    'auth.signIn',
    { username: 'admin', password: PASSWORD },
    { 'x-csrf-token': 'sign-in', origin: baseUrl },
  );
  expect(answer.status).toBe(200);
  const cookie = answer.setCookie.find((line) => line.startsWith(`${SESSION_COOKIE}=`))?.split(';')[0];
  const { csrfToken } = (answer.body.result?.data ?? {}) as { csrfToken: string };
  return { cookie: cookie as string, csrfToken };
}

function expectRefused(answer: Answer) {
  expect(answer.status).toBe(403);
  expect(answer.body.error?.type).toBe('permission-denied');
  expect(ERROR_HTTP_STATUS['permission-denied']).toBe(403);
}

describe('changes made with the session cookie must come from the dashboard’s own origin', () => {
  test('another origin is refused and changes nothing; the same origin, the dashboard’s and non-browsers go through', async ({
    db,
  }) => {
    const { api, close } = await startTestApi(db.prisma, { RICOCHET_DASHBOARD_URL: DASHBOARD_URL });
    try {
      const baseUrl = await api.listen();
      const { cookie, csrfToken } = await signIn(api, baseUrl);
      const session = { cookie, 'x-csrf-token': csrfToken };

      for (const crossSite of <Array<Record<string, string>>>[
        { origin: 'http://evil.example' },
        // The API's own host on another port or scheme is another origin.
        { origin: baseUrl.replace('127.0.0.1:', '127.0.0.1:1') },
        { origin: baseUrl.replace('http:', 'https:') },
        // A sandboxed frame, or a redirect that hides where it came from.
        { origin: 'null' },
        { origin: 'not a url' },
        // Browsers that send no Origin say where the request came from here.
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
      ]) {
        const answer = await mutation(baseUrl, 'webhooks.create', WEBHOOK, { ...session, ...crossSite });
        expectRefused(answer);
      }
      // Signing out is a change too.
      expectRefused(
        await mutation(baseUrl, 'auth.signOut', null, { ...session, origin: 'http://evil.example' }),
      );
      expect(await api.prisma.webhook.count()).toBe(0);

      for (const sameSite of <Array<Record<string, string>>>[
        { origin: baseUrl },
        { origin: DASHBOARD_URL },
        { 'sec-fetch-site': 'same-origin' },
        // Not a browser (curl, a script): nothing to forge on anyone's behalf; the CSRF token still applies.
        {},
      ]) {
        const answer = await mutation(baseUrl, 'webhooks.create', WEBHOOK, { ...session, ...sameSite });
        expect(answer.status, JSON.stringify(sameSite)).toBe(200);
      }
      expect(await api.prisma.webhook.count()).toBe(4);
      // The CSRF token is still required from the right origin.
      expectRefused(
        await mutation(baseUrl, 'webhooks.create', WEBHOOK, {
          cookie,
          'x-csrf-token': 'guess',
          origin: baseUrl,
        }),
      );
    } finally {
      await close();
    }
  });

  test('signing in from another origin is refused (login CSRF), and no cookie is set', async ({ api }) => {
    const baseUrl = await api.listen();
    await setPassword(api.prisma, { userId: api.admin.id, password: PASSWORD });
    const answer = await mutation(
      baseUrl,
      'auth.signIn',
      { username: 'admin', password: PASSWORD },
      { 'x-csrf-token': 'sign-in', origin: 'http://evil.example' },
    );
    expectRefused(answer);
    expect(answer.setCookie).toEqual([]);
  });

  test('requests with a token need no origin: bearer tokens (tRPC and REST) and portal session headers', async ({
    api,
  }) => {
    const baseUrl = await api.listen();
    const evil = { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };
    const bearer = { authorization: `Bearer ${api.admin.token}` };
    expect((await mutation(baseUrl, 'webhooks.create', WEBHOOK, { ...bearer, ...evil })).status).toBe(200);
    const rest = await fetch(`${baseUrl}/v2/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer, ...evil },
      body: JSON.stringify(WEBHOOK),
    });
    expect(rest.status).toBe(201);

    // A portal session travels in a header, which no page of another site can make a browser send.
    const link = await createPortalSession(api.prisma, {
      userId: api.admin.id,
      input: CreatePortalSessionInputSchema.parse({}),
      dashboardUrl: DASHBOARD_URL,
    });
    const opened = await openPortalSession(api.prisma, {
      token: new URL(link.url).hash.slice('#token='.length),
    });
    const portal = await mutation(baseUrl, 'webhooks.create', WEBHOOK, {
      [SESSION_HEADER]: opened.sessionToken,
      'x-csrf-token': opened.session.csrfToken,
      ...evil,
    });
    expect(portal.status, JSON.stringify(portal.body)).toBe(200);
  });
});

describe('behind the dashboard’s proxy', () => {
  const proxied = {
    origin: 'https://hooks.example.com',
    'x-forwarded-host': 'hooks.example.com',
    'x-forwarded-proto': 'https',
  };

  test('the origin is compared with the host the browser addressed, as a trusted proxy names it', async ({
    api,
  }) => {
    // The default TRUST_PROXY (loopback) covers a dashboard on this machine.
    const baseUrl = await api.listen();
    const { cookie, csrfToken } = await signIn(api, baseUrl);
    const answer = await mutation(baseUrl, 'webhooks.create', WEBHOOK, {
      cookie,
      'x-csrf-token': csrfToken,
      ...proxied,
    });
    expect(answer.status).toBe(200);
  });

  test('from a peer that is not a trusted proxy, X-Forwarded-Host is not believed', async ({ db }) => {
    const { api, close } = await startTestApi(db.prisma, { TRUST_PROXY: 'none' });
    try {
      const baseUrl = await api.listen();
      const { cookie, csrfToken } = await signIn(api, baseUrl);
      expectRefused(
        await mutation(baseUrl, 'webhooks.create', WEBHOOK, {
          cookie,
          'x-csrf-token': csrfToken,
          ...proxied,
        }),
      );
    } finally {
      await close();
    }
  });
});
