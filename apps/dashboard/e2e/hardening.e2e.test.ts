import { randomBytes } from 'node:crypto';
import { waitFor } from '@ricochet/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  policyViolationsOf,
  recordPolicyViolations,
  restCall,
  type Stack,
  startReceiver,
  startStack,
} from './harness';

const ADMIN_TOKEN = `ricochet_e2e_${randomBytes(12).toString('hex')}`;
const PASSWORD = 'a hardened password';

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let failing: Awaited<ReturnType<typeof startReceiver>>;
const contexts: BrowserContext[] = [];

function api<Data>(method: string, path: string, body?: unknown): Promise<Data> {
  return restCall<Data>(stack.apiUrl, ADMIN_TOKEN, method, path, body);
}

/**
 * A fresh browser (no cookies) that records its Content-Security-Policy violations and every
 * request that would leave this machine; those are stopped before a byte is sent.
 */
async function browser(options: { viewport?: { width: number; height: number } } = {}) {
  const context = await stack.browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 860 },
  });
  contexts.push(context);
  await context.addInitScript(recordPolicyViolations);
  const leftTheMachine: string[] = [];
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname === '127.0.0.1') return route.continue();
    leftTheMachine.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const failed: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  return { page, leftTheMachine, failed, consoleErrors };
}

async function signInThroughTheForm(page: Page, query = '') {
  await page.goto(`${stack.dashboardUrl}/sign-in${query}`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

beforeAll(async () => {
  receiver = await startReceiver();
  failing = await startReceiver();
  failing.setStatus(500);
  // Retries a minute apart: a failed dispatch waits on its backoff, for "Retry now".
  stack = await startStack({
    RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
    DELIVERY_MAX_RETRIES: '3',
    DELIVERY_RETRY_BASE_DELAY_MS: '60000',
  });
  const { page } = await browser();
  await page.goto(stack.setupUrl);
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password and continue' }).click();
  await page.waitForURL('**/webhooks');
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await stack?.close();
  await receiver?.close();
  await failing?.close();
});

describe('after sign-in, only same-origin paths are followed', () => {
  // The cases, and their relatives: each one a browser would resolve to another host.
  const hostile = [
    '%2F%5Cevil.example%2Fx', // /\evil.example/x
    '%2F%09%2Fevil.example%2Fx', // /<TAB>/evil.example/x
    '%2F%0A%2Fevil.example%2Fx', // /<LF>/evil.example/x
    '%2F%5C%2Fevil.example%2Fx', // /\/evil.example/x
    '%2F%0D%2Fevil.example', // /<CR>/evil.example
    '%2F%2Fevil.example%2Fx', // //evil.example/x
    '%5C%5Cevil.example', // \\evil.example
    'https%3A%2F%2Fevil.example%2F',
    'javascript%3Aalert(document.domain)',
    '/%5Cevil.example', // unencoded slash, encoded backslash
  ];

  for (const next of hostile) {
    test(`next=${next} lands on the dashboard's own /webhooks`, async () => {
      const { page, leftTheMachine } = await browser();
      await signInThroughTheForm(page, `?next=${next}`);
      await page.waitForURL(`${stack.dashboardUrl}/webhooks`);
      await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
      expect(new URL(page.url()).origin).toBe(stack.dashboardUrl);
      expect(leftTheMachine).toEqual([]);
      // Already signed in, the page goes straight on: the same rule.
      await page.goto(`${stack.dashboardUrl}/sign-in?next=${next}`);
      await page.waitForURL(`${stack.dashboardUrl}/webhooks`);
      expect(leftTheMachine).toEqual([]);
    });
  }

  test('a path of the dashboard, with its query and fragment, is followed', async () => {
    const { page } = await browser();
    await signInThroughTheForm(page, `?next=${encodeURIComponent('/events?offset=0#top')}`);
    await page.waitForURL(`${stack.dashboardUrl}/events?offset=0#top`);
    await page.getByRole('heading', { name: 'Events' }).waitFor();
  });
});

describe('every page works under a nonce-based Content-Security-Policy', () => {
  test('the policy, on every page: scripts by nonce only, no plugins, no <base>; titles; no failed request', async () => {
    const webhook = await api<{ id: string }>('POST', '/v2/webhooks', {
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: receiver.url,
      description: 'Policy',
    });
    const dispatch = await api<{ id: string }>('POST', `/v2/webhooks/${webhook.id}/test`);
    const event = await api<{ id: string }>('POST', '/v2/events', {
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: 'policy' },
    });
    const pages: Array<[path: string, title: string]> = [
      ['/webhooks', 'Webhooks'],
      ['/webhooks/new', 'New webhook'],
      [`/webhooks/${webhook.id}`, 'Webhook'],
      [`/webhooks/${webhook.id}/edit`, 'Edit webhook'],
      ['/dispatches', 'Dispatches'],
      [`/dispatches/${dispatch.id}`, `Dispatch ${dispatch.id}`],
      ['/events', 'Events'],
      [`/events/${event.id}`, `Event ${event.id}`],
      ['/event-types', 'Event types'],
      ['/tokens', 'API tokens'],
      ['/admin', 'Overview'],
      ['/admin/users', 'Users'],
      ['/no-such-page', 'Page not found'],
    ];
    const { page, failed, consoleErrors } = await browser();
    await signInThroughTheForm(page);
    await page.waitForURL('**/webhooks');
    const nonces = new Set<string>();
    for (const [path, title] of pages) {
      const response = await page.goto(`${stack.dashboardUrl}${path}`);
      const policy = response?.headers()['content-security-policy'] ?? '';
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
      expect(policy, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'(;|$)/);
      expect(policy, path).toContain("object-src 'none'");
      expect(policy, path).toContain("base-uri 'none'");
      expect(policy, path).toContain("frame-ancestors 'none'");
      expect(nonces.has(nonce as string), `${path}: a nonce is never reused`).toBe(false);
      nonces.add(nonce as string);
      // It works: React took over (the nav is interactive) and the page's data arrived.
      await page.locator('main h1, h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.title(), path).toBe(`${title} · Ricochet`);
      expect(await policyViolationsOf(page), path).toEqual([]);
    }
    // Client-side navigation too (scripts loaded after the first page).
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.waitForURL('**/events');
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    expect(await page.title()).toBe('Events · Ricochet');
    expect(await policyViolationsOf(page)).toEqual([]);
    // Nothing failed to load: no favicon 404, no refused chunk (the not-found page itself is a 404).
    expect(failed.filter((line) => !line.includes('/no-such-page'))).toEqual([]);
    expect(consoleErrors.filter((line) => !/404|Not Found/i.test(line))).toEqual([]);

    // And the policy is no decoration: markup injected into the page cannot run script (what an
    // XSS would do: an inline event handler).
    await page.evaluate(() => {
      document.body.insertAdjacentHTML(
        'beforeend',
        '<img alt="" src="data:," onerror="window.__injected = true">',
      );
    });
    expect(
      await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected),
    ).toBeUndefined();
    await waitFor('the violation to be reported', async () => (await policyViolationsOf(page)).length > 0);
    expect((await policyViolationsOf(page))[0]).toMatch(/^script-src/);
  });

  test('the pages before sign-in, and the favicon', async () => {
    const { page, failed } = await browser();
    for (const [path, title] of [
      ['/sign-in', 'Sign in'],
      ['/setup', 'Set up'],
      ['/portal', 'Webhooks'],
    ] as const) {
      const response = await page.goto(`${stack.dashboardUrl}${path}`);
      expect(response?.headers()['content-security-policy']).toMatch(/'nonce-/);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.title()).toBe(`${title} · Ricochet`);
      expect(await policyViolationsOf(page), path).toEqual([]);
    }
    expect(failed).toEqual([]);
    const icon = await page.request.get(`${stack.dashboardUrl}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toMatch(/image/);
    expect(await page.locator('link[rel="icon"]').count()).toBeGreaterThan(0);
  });

  test("tRPC answers through the dashboard's proxy are never cached", async () => {
    const { page } = await browser();
    await signInThroughTheForm(page);
    await page.waitForURL('**/webhooks');
    for (const path of ['/trpc/auth.session', '/trpc/webhooks.list', '/trpc/nope.nope']) {
      const response = await page.request.get(`${stack.dashboardUrl}${path}`);
      expect(response.headers()['cache-control'], path).toBe('no-store');
    }
  });
});

describe('what a new user trips over', () => {
  test('"Test before saving" is signed with the secret the form shows, and that secret is saved', async () => {
    const { page } = await browser();
    await signInThroughTheForm(page);
    await page.waitForURL('**/webhooks');
    await page.goto(`${stack.dashboardUrl}/webhooks/new`);
    await page.getByLabel('URL').fill(receiver.url);
    const secret = await page.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    // The receiver verifies every call with that secret, as a customer's would (401 otherwise).
    receiver.acceptSecrets([secret]);
    const before = receiver.calls.length;
    await page.getByRole('button', { name: 'Send test request' }).click();
    await page.getByTestId('unsaved-test-result').getByText('The receiver answered 2xx').waitFor();
    const call = receiver.calls[before];
    expect(call?.headers['webhook-signature']).toMatch(/^v1,/);
    expect(call?.verified).toBe(true);

    await page.getByText('ACTOR.RUN.SUCCEEDED', { exact: true }).click();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.waitForURL(/\/webhooks\/[A-Za-z0-9]{17}$/);
    const webhookId = new URL(page.url()).pathname.split('/').at(-1) as string;
    const saved = await api<{ secrets: Array<{ secret: string }> }>(
      'GET',
      `/v2/webhooks/${webhookId}/secret`,
    );
    expect(saved.secrets.map((entry) => entry.secret)).toEqual([secret]);

    // Editing it, the test is signed with the webhook's current secret.
    await page.goto(`${stack.dashboardUrl}/webhooks/${webhookId}/edit`);
    await page.getByRole('button', { name: 'Send test request' }).click();
    await page.getByTestId('unsaved-test-result').getByText('The receiver answered 2xx').waitFor();
    expect(receiver.calls.at(-1)?.verified).toBe(true);
    receiver.acceptSecrets(null);
  });

  test('one name per state on every page; the filters say what the badges say', async () => {
    await api('POST', '/v2/webhooks', {
      eventTypes: ['TEST'],
      requestUrl: receiver.url,
      description: 'States',
    });
    const { page } = await browser();
    await signInThroughTheForm(page);
    await page.waitForURL('**/webhooks');
    const options = async (label: string) => {
      const select = page.getByLabel(label, { exact: true });
      await select.locator('option').nth(1).waitFor({ state: 'attached' });
      return (await select.locator('option').allTextContents()).map((text) => text.trim());
    };
    expect(await options('State')).toEqual(['Any state', 'Enabled', 'Paused', 'Too many errors']);
    await page.locator('[data-state="ACTIVE"]').first().getByText('Enabled').waitFor();
    await page.goto(`${stack.dashboardUrl}/dispatches`);
    expect(await options('Status')).toEqual(['Any status', 'Pending or retrying', 'Succeeded', 'Failed']);
    expect(await page.getByText('Active', { exact: true }).count()).toBe(0);
  });

  test('a dispatch waiting on its backoff can be retried now', async () => {
    const webhook = await api<{ id: string }>('POST', '/v2/webhooks', {
      eventTypes: ['ACTOR.RUN.FAILED'],
      requestUrl: failing.url,
    });
    await api('POST', '/v2/events', { eventType: 'ACTOR.RUN.FAILED', eventData: { actorId: 'later' } });
    await waitFor('the first attempt', () => failing.calls.length >= 1);
    const { items } = await api<{ items: Array<{ id: string }> }>(
      'GET',
      `/v2/webhooks/${webhook.id}/dispatches`,
    );
    const dispatchId = items[0]?.id as string;
    const { page } = await browser();
    await signInThroughTheForm(page);
    await page.waitForURL('**/webhooks');
    await page.goto(`${stack.dashboardUrl}/dispatches/${dispatchId}`);
    await page.locator('main').getByText('Retrying', { exact: true }).first().waitFor();
    await page
      .locator('main [data-queue-state="SCHEDULED"]')
      .getByText(/^Retrying at /)
      .waitFor();
    await waitFor('the button to apply', async () =>
      page.getByRole('button', { name: 'Retry now' }).isEnabled(),
    );
    await page.getByRole('button', { name: 'Retry now' }).click();
    // A minute early: the second attempt is made now, and the page shows it.
    await waitFor('the second attempt', () => failing.calls.length >= 2, 20_000);
    await page.getByText('2 attempts').waitFor();
    expect(await policyViolationsOf(page)).toEqual([]);
  });

  test('on a phone, webhook URLs that share a long prefix still read apart', async () => {
    const prefix = 'https://hooks.customer.example.com/integrations/ricochet/v1/';
    for (const end of ['invoices-paid', 'invoices-failed']) {
      await api('POST', '/v2/webhooks', { eventTypes: ['TEST'], requestUrl: `${prefix}${end}` });
    }
    const { page } = await browser({ viewport: { width: 390, height: 844 } });
    await signInThroughTheForm(page);
    await page.waitForURL('**/webhooks');
    await waitFor(
      'both webhooks in the table',
      async () => (await page.locator('main span[title^="https://hooks.customer"]').count()) === 2,
    );
    const visibleEnds = await page.evaluate(() =>
      [...document.querySelectorAll('main a[href^="/webhooks/"] span[title]')].map((url) => {
        const parts = [...url.querySelectorAll('[aria-hidden="true"]')] as HTMLElement[];
        const tail = parts.at(-1) as HTMLElement;
        const box = tail.getBoundingClientRect();
        return {
          url: url.getAttribute('title'),
          tail: tail.textContent,
          onScreen: box.width > 0 && box.right <= document.documentElement.clientWidth,
        };
      }),
    );
    const ours = visibleEnds.filter((entry) => entry.url?.startsWith('https://hooks.customer'));
    expect(ours).toHaveLength(2);
    expect(ours.every((entry) => entry.onScreen)).toBe(true);
    expect(new Set(ours.map((entry) => entry.tail)).size).toBe(2);
    expect(ours.map((entry) => entry.tail).join(' ')).toMatch(/invoices-paid/);
  });
});
