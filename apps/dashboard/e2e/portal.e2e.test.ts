import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@ricochet/testkit';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  newDesktopPage,
  policyViolationsOf,
  restCall,
  type Stack,
  screenshotDir,
  seriousA11yViolations,
  startReceiver,
  startStack,
} from './harness';

const ADMIN_TOKEN = `ricochet_e2e_${randomBytes(12).toString('hex')}`;
const embedScript = fileURLToPath(new URL('../../../packages/client/dist/browser/embed.js', import.meta.url));
const BRANDING = { productName: 'Acme Portal', accentColor: '#e11d48', theme: 'dark' } as const;

/**
 * The team's own app: a page on another loopback origin (127.0.0.x is another site than 127.0.0.1)
 * that embeds the portal with @ricochet/client/embed, the way the README shows.
 */
async function startHostApp(host: string) {
  const server: Server = createServer((request, response) => {
    if (request.url === '/embed.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(readFileSync(embedScript));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html>
<html lang="en"><head><title>Acme app</title></head>
<body style="margin:0;font-family:sans-serif;background:#f4f4f5">
  <header style="padding:12px 24px;background:#18181b;color:white">Acme app · Settings › Webhooks</header>
  <section style="max-width:1100px;margin:24px auto;background:white;border:1px solid #ddd">
    <div id="portal"></div>
  </section>
  <script type="module">
    import { embedPortal } from '/embed.js';
    const url = new URLSearchParams(location.search).get('portal');
    embedPortal({
      url,
      container: document.getElementById('portal'),
      title: 'Acme webhooks',
      initialHeight: 300,
      onResize: (height) => { document.body.dataset.portalHeight = String(height); },
    });
  </script>
</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://${host}:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let allowedHost: Awaited<ReturnType<typeof startHostApp>>;
let otherHost: Awaited<ReturnType<typeof startHostApp>>;
let acme: { id: string; webhookId: string };
let globex: { id: string; webhookId: string };

function api<Data>(method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<Data> {
  return restCall<Data>(stack.apiUrl, token, method, path, body);
}

/** A customer of the team with a webhook of its own (made with its own token, as the customer would). */
async function customer(username: string) {
  const created = await api<{ user: { id: string }; token: { token: string } }>('POST', '/v2/users', {
    username,
  });
  const webhook = await api<{ id: string }>(
    'POST',
    '/v2/webhooks',
    {
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: `${receiver.url}/${username}`,
      description: `${username} hook`,
    },
    created.token.token,
  );
  return { id: created.user.id, webhookId: webhook.id };
}

function portalLink(userId: string, body: Record<string, unknown> = {}) {
  return api<{ url: string; expiresAt: string }>('POST', `/v2/users/${userId}/portal-sessions`, {
    branding: BRANDING,
    ...body,
  });
}

function newPage(): Promise<Page> {
  return newDesktopPage(stack);
}

/** A tRPC call from inside the portal page, with the portal's own session header, as a script there could. */
function trpcFromPortal(page: Page, path: string, method: 'GET' | 'POST', input?: unknown) {
  return page.evaluate(
    async ({ path, method, input }) => {
      const token = sessionStorage.getItem('ricochet.portal.session') ?? '';
      // The session's real CSRF token, so a refusal is the procedure's and not the CSRF guard's.
      const session = await fetch('/trpc/auth.session', { headers: { 'x-ricochet-session': token } });
      const { csrfToken } = ((await session.json()) as { result: { data: { csrfToken: string } } }).result
        .data;
      const response = await fetch(`/trpc/${path}`, {
        method,
        headers: {
          'x-ricochet-session': token,
          'x-csrf-token': csrfToken,
          'content-type': 'application/json',
        },
        ...(method === 'POST' && { body: JSON.stringify(input ?? null) }),
      });
      const body = (await response.json()) as { error?: { data?: { type?: string } } };
      return { status: response.status, type: body.error?.data?.type };
    },
    { path, method, input },
  );
}

beforeAll(async () => {
  if (!existsSync(embedScript)) {
    throw new Error('The client is not built: run `pnpm --filter @ricochet/client build` first.');
  }
  mkdirSync(screenshotDir, { recursive: true });
  receiver = await startReceiver();
  allowedHost = await startHostApp('127.0.0.2');
  otherHost = await startHostApp('127.0.0.3');
  stack = await startStack(
    {
      RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
      RICOCHET_BRAND_NAME: 'Acme',
      RICOCHET_BRAND_ACCENT_COLOR: '#0f766e',
    },
    { RICOCHET_PORTAL_FRAME_ANCESTORS: allowedHost.origin },
  );
  acme = await customer('acme');
  globex = await customer('globex');
  // The team publishes for Acme only: Acme's portal shows a delivered dispatch.
  await api('POST', '/v2/events', {
    userId: acme.id,
    eventType: 'ACTOR.RUN.SUCCEEDED',
    eventData: { actorRunId: 'r1' },
  });
  await waitFor('the delivery to Acme', () => receiver.calls.length === 1, 60_000);
});

afterAll(async () => {
  await stack?.close();
  await Promise.all([receiver?.close(), allowedHost?.close(), otherHost?.close()]);
});

describe('the customer portal in a real browser', () => {
  test('a portal URL opens the portal for that user only, branded, and works once', async () => {
    const link = await portalLink(acme.id);
    expect(link.url.startsWith(`${stack.dashboardUrl}/portal#token=`)).toBe(true);
    const page = await newPage();
    await page.goto(link.url);
    await page.waitForURL(`${stack.dashboardUrl}/webhooks`);
    await page.getByText('acme hook').waitFor();
    // The token left the address bar and the history.
    expect(page.url()).not.toContain('token=');
    expect(await page.getByText('globex hook').count()).toBe(0);
    // Only the portal's pages: no tokens, no users, no admin overview, no publishing.
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Webhooks', 'Dispatches', 'Event types']);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    // Branding: the session's name, accent and dark theme.
    expect(await page.getByTestId('brand-name').textContent()).toBe('Acme Portal');
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
    expect(
      await page.evaluate(() =>
        getComputedStyle(document.documentElement).getPropertyValue('--primary').trim(),
      ),
    ).toBe('#e11d48');
    await page.waitForLoadState('networkidle');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.screenshot({ path: join(screenshotDir, 'portal-webhooks-desktop.png'), fullPage: true });

    // The dispatch the team published for Acme, and its detail.
    await page.getByRole('link', { name: /\/hook\/acme$/ }).click();
    await page.waitForURL(`${stack.dashboardUrl}/webhooks/${acme.webhookId}`);
    await page
      .getByText(/succeeded/i)
      .first()
      .waitFor();
    await page.screenshot({ path: join(screenshotDir, 'portal-webhook-detail-desktop.png'), fullPage: true });

    // The event type catalogue shows descriptions and examples.
    await page.goto(`${stack.dashboardUrl}/event-types`);
    await page.getByText('An Actor run finished successfully.').waitFor();
    expect(await page.getByRole('button', { name: 'Add' }).count()).toBe(0);
    await page.screenshot({ path: join(screenshotDir, 'portal-event-types-desktop.png'), fullPage: true });

    // The same link a second time: refused.
    const second = await newPage();
    await second.goto(link.url);
    await second.getByText('This link no longer works').waitFor();
    expect(await second.evaluate(() => sessionStorage.getItem('ricochet.portal.session'))).toBeNull();
  });

  test('a link is refused after it expires', async () => {
    const link = await portalLink(acme.id, { expiresInSeconds: 1 });
    const expiresAt = Date.parse(link.expiresAt);
    await waitFor('the link to expire', () => Date.now() > expiresAt + 100, 10_000);
    const page = await newPage();
    await page.goto(link.url);
    await page.getByText('This link no longer works').waitFor();
  });

  test('editing URLs reaches neither admin pages nor another user’s records; the server refuses too', async () => {
    const page = await newPage();
    await page.goto((await portalLink(acme.id)).url);
    await page.waitForURL(`${stack.dashboardUrl}/webhooks`);
    for (const path of ['/admin', '/admin/users', '/tokens', '/events']) {
      await page.goto(`${stack.dashboardUrl}${path}`);
      await page.getByText('This page is not available in this session.').waitFor();
    }
    await page.goto(`${stack.dashboardUrl}/webhooks/${globex.webhookId}`);
    await page
      .getByText(/not found/i)
      .first()
      .waitFor();
    expect(await page.getByText('globex hook').count()).toBe(0);

    // Enforced in the procedures, not only hidden: the portal's own session is refused there.
    expect(await trpcFromPortal(page, 'users.list', 'GET')).toEqual({
      status: 403,
      type: 'permission-denied',
    });
    expect(await trpcFromPortal(page, 'tokens.list', 'GET')).toEqual({
      status: 403,
      type: 'permission-denied',
    });
    expect(await trpcFromPortal(page, 'admin.overview', 'GET')).toMatchObject({ status: 403 });
    expect(
      await trpcFromPortal(page, 'events.publish', 'POST', { eventType: 'TEST', userId: globex.id }),
    ).toMatchObject({ status: 403 });
    expect(
      await trpcFromPortal(
        page,
        `webhooks.get?input=${encodeURIComponent(JSON.stringify({ webhookId: globex.webhookId }))}`,
        'GET',
      ),
    ).toEqual({ status: 404, type: 'record-not-found' });
  });

  test('a read-only portal session cannot change anything', async () => {
    const page = await newPage();
    await page.goto((await portalLink(acme.id, { readOnly: true })).url);
    await page.waitForURL(`${stack.dashboardUrl}/webhooks`);
    await page.getByText('acme hook').waitFor();
    const csrf = await page.evaluate(async () => {
      const response = await fetch('/trpc/auth.session', {
        headers: { 'x-ricochet-session': sessionStorage.getItem('ricochet.portal.session') ?? '' },
      });
      return ((await response.json()) as { result: { data: { csrfToken: string; scope: string } } }).result
        .data;
    });
    expect(csrf.scope).toBe('READ_ONLY');
    const attempt = await page.evaluate(
      async ({ webhookId, csrfToken }) => {
        const response = await fetch('/trpc/webhooks.test', {
          method: 'POST',
          headers: {
            'x-ricochet-session': sessionStorage.getItem('ricochet.portal.session') ?? '',
            'x-csrf-token': csrfToken,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ webhookId }),
        });
        return response.status;
      },
      { webhookId: acme.webhookId, csrfToken: csrf.csrfToken },
    );
    expect(attempt).toBe(403);
  });

  test('embedded on an allowed origin it works and fits its content; on another origin it is refused', async () => {
    const page = await newPage();
    const link = await portalLink(acme.id);
    await page.goto(`${allowedHost.origin}/?portal=${encodeURIComponent(link.url)}`);
    const frame = page.frameLocator('iframe[title="Acme webhooks"]');
    await frame.getByText('acme hook').waitFor();
    expect(await frame.getByTestId('brand-name').textContent()).toBe('Acme Portal');
    // The embed script sized the iframe to the portal's content (it started at 300 px).
    await waitFor('the iframe to take the portal’s height', async () => {
      const reported = Number(await page.evaluate(() => document.body.dataset.portalHeight ?? '0'));
      const iframeHeight = await page.evaluate(
        () => document.querySelector('iframe')?.getBoundingClientRect().height ?? 0,
      );
      return reported > 300 && Math.abs(iframeHeight - reported) < 1;
    });
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(screenshotDir, 'portal-embedded-desktop.png'), fullPage: true });
    // Navigating inside the frame keeps the session (this Chromium denies a third-party frame
    // sessionStorage, so here it lives in the page's memory: see lib/portal.ts).
    await frame.getByRole('link', { name: 'Event types' }).click();
    await frame.getByText('An Actor run finished successfully.').waitFor();
    // In the frame too, the portal works under its nonce-based policy: nothing it runs is refused.
    const portalFrame = page.frames().find((candidate) => candidate.url().startsWith(stack.dashboardUrl));
    expect(portalFrame).toBeDefined();
    expect(await policyViolationsOf(portalFrame as Frame)).toEqual([]);
    const framed = await page.request.get(portalFrame?.url() as string);
    expect(framed.headers()['content-security-policy']).toMatch(
      /script-src 'self' 'nonce-[^']+' 'strict-dynamic'; object-src 'none'; base-uri 'none'/,
    );
    await page.screenshot({
      path: join(screenshotDir, 'portal-embedded-event-types-desktop.png'),
      fullPage: true,
    });

    // Another origin: the browser refuses to render the dashboard in its frame (frame-ancestors).
    const refused = await newPage();
    const blocked = new Promise<string>((resolve) => {
      refused.on('console', (message) => {
        if (message.text().includes('frame-ancestors')) resolve(message.text());
      });
    });
    await refused.goto(`${otherHost.origin}/?portal=${encodeURIComponent((await portalLink(acme.id)).url)}`);
    // Chromium's words: "Framing '<dashboard>' violates the following Content Security Policy directive: frame-ancestors ..."
    expect(await blocked).toMatch(/violates the following Content Security Policy directive/);
    expect(await refused.frameLocator('iframe').getByText('acme hook').count()).toBe(0);
    await refused.screenshot({
      path: join(screenshotDir, 'portal-embedded-refused-desktop.png'),
      fullPage: true,
    });
  });
});
