import { appRouter } from '../../src/api/index.ts';
import { createCallerFactory } from '../../src/api/trpc.ts';
import { HttpSender } from '../../src/outbound/http-sender.ts';
import { authenticateToken } from '../../src/services/tokens.ts';
import type { TestApi } from '../app-fixtures.ts';
import { describe, expect, test } from '../app-fixtures.ts';

const createCaller = createCallerFactory(appRouter);

/** A tRPC call over HTTP with the portal's session header (what the dashboard's proxy forwards). */
function trpc(
  api: TestApi,
  type: 'query' | 'mutation',
  path: string,
  input: unknown,
  session: string,
  csrf = '1',
) {
  return api.app.inject({
    method: type === 'query' ? 'GET' : 'POST',
    url:
      type === 'query' && input !== undefined
        ? `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
        : `/trpc/${path}`,
    headers: { 'x-ricochet-session': session, 'x-csrf-token': csrf, 'content-type': 'application/json' },
    ...(type === 'mutation' && { payload: JSON.stringify(input ?? null) }),
  });
}

async function openPortal(api: TestApi, url: string) {
  const token = new URL(url).hash.replace(/^#token=/, '');
  return api.app.inject({
    method: 'POST',
    url: '/trpc/auth.openPortal',
    headers: { 'content-type': 'application/json', 'x-csrf-token': '1' },
    payload: JSON.stringify({ token }),
  });
}

describe('portal sessions', () => {
  test('a single-use link, even under concurrent use, opens a PORTAL session carried by a header', async ({
    api,
  }) => {
    const customer = await api.createUser('acme');
    const created = await api.request('POST', `/v2/users/${customer.id}/portal-sessions`, {
      body: { expiresInSeconds: 600, branding: { productName: 'Acme', accentColor: '#112233' } },
    });
    expect(created.statusCode).toBe(201);
    const link = created.json().data;
    expect(link.url).toMatch(/^http:\/\/127\.0\.0\.1:8788\/portal#token=/);
    // Only a hash of the token is stored.
    const stored = await api.prisma.signInLink.findFirstOrThrow({ where: { purpose: 'PORTAL' } });
    expect(link.url).not.toContain(stored.tokenHash);

    const opened = await Promise.all([
      openPortal(api, link.url),
      openPortal(api, link.url),
      openPortal(api, link.url),
    ]);
    expect(opened.map((response) => response.statusCode).sort()).toEqual([200, 401, 401]);
    const winner = opened.find((response) => response.statusCode === 200);
    const { session, sessionToken } = winner?.json().result.data ?? {};
    expect(session).toMatchObject({
      mode: 'PORTAL',
      scope: 'FULL',
      user: { id: customer.id },
      capabilities: ['webhooks', 'eventTypes'],
      branding: { productName: 'Acme', accentColor: '#112233' },
    });
    // The session ends when the link would have.
    expect(Math.abs(Date.parse(session.expiresAt) - Date.parse(link.expiresAt))).toBeLessThan(1000);

    const me = await trpc(api, 'query', 'auth.session', undefined, sessionToken);
    expect(me.json().result.data.user.id).toBe(customer.id);
    expect((await trpc(api, 'query', 'tokens.list', undefined, sessionToken)).statusCode).toBe(403);
    expect((await trpc(api, 'query', 'users.list', undefined, sessionToken)).statusCode).toBe(403);
    const newType = await trpc(
      api,
      'mutation',
      'eventTypes.create',
      { name: 'mine.only' },
      sessionToken,
      session.csrfToken,
    );
    expect(newType.statusCode).toBe(403);
    // The header counts on /trpc only: the REST API stays token-only.
    const rest = await api.app.inject({
      method: 'GET',
      url: '/v2/webhooks',
      headers: { 'x-ricochet-session': sessionToken },
    });
    expect(rest.statusCode).toBe(401);
    // Changes still need the session's CSRF token.
    const create = { eventTypes: ['TEST'], requestUrl: 'https://example.com/hook' };
    expect((await trpc(api, 'mutation', 'webhooks.create', create, sessionToken, 'wrong')).statusCode).toBe(
      403,
    );
    expect(
      (await trpc(api, 'mutation', 'webhooks.create', create, sessionToken, session.csrfToken)).statusCode,
    ).toBe(200);
  });

  test('read-only links, expiry, unknown users and non-admins', async ({ api }) => {
    const customer = await api.createUser('acme');
    const readOnly = (
      await api.request('POST', `/v2/users/${customer.id}/portal-sessions`, { body: { readOnly: true } })
    ).json().data;
    const opened = (await openPortal(api, readOnly.url)).json().result.data;
    expect(opened.session.scope).toBe('READ_ONLY');
    const create = { eventTypes: ['TEST'], requestUrl: 'https://example.com/hook' };
    const refused = await trpc(
      api,
      'mutation',
      'webhooks.create',
      create,
      opened.sessionToken,
      opened.session.csrfToken,
    );
    expect(refused.statusCode).toBe(403);

    const expiring = (
      await api.request('POST', `/v2/users/${customer.id}/portal-sessions`, { body: { expiresInSeconds: 1 } })
    ).json().data;
    await api.prisma.signInLink.updateMany({
      where: { usedAt: null },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    expect((await openPortal(api, expiring.url)).statusCode).toBe(401);

    expect((await api.request('POST', '/v2/users/nobody/portal-sessions', { body: {} })).statusCode).toBe(
      404,
    );
    const notAdmin = await api.request('POST', `/v2/users/${customer.id}/portal-sessions`, {
      token: customer.token,
      body: {},
    });
    expect(notAdmin.statusCode).toBe(403);
    const bad = await api.request('POST', `/v2/users/${customer.id}/portal-sessions`, {
      body: { expiresInSeconds: 0, branding: { accentColor: 'red' } },
    });
    expect(bad.statusCode).toBe(400);
  });

  test('the installation branding comes from RICOCHET_BRAND_* and is public', async ({ api }) => {
    const response = await api.app.inject({ method: 'GET', url: '/trpc/auth.branding' });
    expect(response.json().result.data).toEqual({
      productName: 'Ricochet',
      logoUrl: null,
      accentColor: null,
      theme: 'system',
    });
  });
});

describe('tRPC, the same service functions as REST', () => {
  test('users.ensureByExternalId, events.publishBatch/broadcast, users.createPortalSession, auth.openPortal', async ({
    api,
  }) => {
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    const admin = createCaller({
      prisma: api.prisma,
      sender,
      config: api.config,
      principal: await authenticateToken(api.prisma, api.admin.token),
    });
    const ensured = await admin.users.ensureByExternalId({ externalId: 'crm-1' });
    expect(ensured.created).toBe(true);
    const viaRest = (
      await api.request('POST', '/v2/users/by-external-id', { body: { externalId: 'crm-1' } })
    ).json().data;
    expect(viaRest).toEqual({ user: ensured.user, created: false });
    expect(await admin.users.byExternalId({ externalId: 'crm-1' })).toEqual(ensured.user);

    const batch = await admin.events.publishBatch({
      events: [
        { userId: ensured.user.id, eventType: 'TEST', idempotencyKey: 'a' },
        { eventType: 'TEST', idempotencyKey: 'a' },
      ],
    });
    expect(batch.events.map((event) => event.userId)).toEqual([ensured.user.id, api.admin.id]);
    expect(await admin.events.broadcast({ eventType: 'TEST' })).toEqual({ events: [], dispatchCount: 0 });

    const link = await admin.users.createPortalSession({ userId: ensured.user.id, data: { readOnly: true } });
    const anonymous = createCaller({ prisma: api.prisma, sender, config: api.config, principal: null });
    const opened = await anonymous.auth.openPortal({ token: new URL(link.url).hash.replace('#token=', '') });
    expect(opened.session).toMatchObject({
      mode: 'PORTAL',
      scope: 'READ_ONLY',
      user: { id: ensured.user.id },
    });
    await sender.close();
  });
});
