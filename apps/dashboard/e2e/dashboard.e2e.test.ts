import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@ricochet/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  checkLooks,
  DESKTOP,
  looksOf,
  recordPolicyViolations,
  type Stack,
  screenshotDir,
  seriousA11yViolations,
  startReceiver,
  startStack,
} from './harness';

const PASSWORD = 'correct horse battery';

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let context: BrowserContext;
let page: Page;
let webhookPath = '';
let dispatchPath = '';
let eventPath = '';
const visited = new Set<string>();

/** The pages people spend their time on, by screenshot name, once the tests have given them data. */
function mainPages(): Array<[name: string, path: string]> {
  return [
    ['webhooks', '/webhooks'],
    ['webhook-detail', webhookPath],
    ['webhook-new', '/webhooks/new'],
    ['webhook-edit', `${webhookPath}/edit`],
    ['dispatches', '/dispatches'],
    ['dispatch-detail', dispatchPath],
    ['events', '/events'],
    ['event-detail', eventPath],
    ['event-types', '/event-types'],
    ['tokens', '/tokens'],
    ['admin-overview', '/admin'],
    ['admin-users', '/admin/users'],
  ];
}
const DARK_PAGES = new Set(['webhooks', 'webhook-detail', 'webhook-new', 'tokens', 'admin-overview']);

/** Every page the tests reach is checked with axe and photographed (desktop, light). */
async function checkPage(name: string) {
  await page.waitForLoadState('networkidle');
  expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([]);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(screenshotDir, `${name}-desktop.png`), fullPage: true });
  visited.add(page.url().replace(stack.dashboardUrl, ''));
}

async function text(selector: string) {
  return (await page.locator(selector).first().textContent()) ?? '';
}

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  receiver = await startReceiver();
  stack = await startStack();
  context = await stack.browser.newContext({ viewport: DESKTOP, colorScheme: 'light' });
  await context.addInitScript(recordPolicyViolations);
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
});

afterAll(async () => {
  await context?.close();
  await stack?.close();
  await receiver?.close();
});

describe('the dashboard in a real browser', () => {
  test('the printed setup URL signs the first admin in and asks for a password, once', async () => {
    await page.goto(stack.setupUrl);
    await page.getByText('Welcome to Ricochet').waitFor();
    await checkPage('setup');
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('Repeat the password').fill('different');
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByText('must be at least 10 characters').waitFor();
    await page.getByText('the passwords do not match').waitFor();
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.waitForURL('**/webhooks');
    await page.getByText('No webhooks yet').waitFor();
    await checkPage('webhooks-empty');

    // The link worked once.
    const second = await context.browser()?.newContext();
    const other = await second?.newPage();
    await other?.goto(stack.setupUrl);
    await other?.getByText('Setup link not valid').waitFor();
    await second?.close();
  });

  test('sign out, then sign in with the password', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    await page.waitForURL('**/sign-in?next=%2Fwebhooks');
    await checkPage('sign-in');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('The username or password is not right.').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL('**/webhooks');
  });

  test('create a webhook: a validation error shows next to its field, then it saves', async () => {
    await page.getByRole('link', { name: 'Create your first webhook' }).click();
    await page.waitForURL('**/webhooks/new');
    await page.getByLabel('URL', { exact: true }).fill('not a url');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const urlInput = page.getByLabel('URL', { exact: true });
    await page.getByText('must be an absolute http:// or https:// URL').waitFor();
    expect(await urlInput.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await urlInput.getAttribute('aria-describedby')) ?? '';
    const errorText = await page.locator(`[id="${describedBy.split(' ').at(-1)}"]`).textContent();
    expect(errorText).toContain('must be an absolute http:// or https:// URL');
    await page.getByText('must list at least one event type').waitFor();

    await urlInput.fill(receiver.url);
    await page.getByRole('checkbox', { name: 'TEST' }).click();
    await page.getByRole('checkbox', { name: 'ACTOR.RUN.SUCCEEDED' }).click();
    await page.getByLabel('Description').fill('Orders service');
    await page.getByLabel('Static properties (JSON)').fill('{"source": "e2e"}');
    // The live preview renders the request with the server's delivery code.
    await waitFor('the preview to show the properties', async () =>
      (await text('[data-testid="preview-body"]')).includes('"source": "e2e"'),
    );
    expect(await text('[data-testid="preview-headers"]')).toContain('webhook-signature: v1,');
    // Test before saving: the unsaved definition's TEST event, rendered with its properties, sent once.
    await page.getByRole('button', { name: 'Send test request' }).click();
    await page.getByTestId('unsaved-test-result').getByText('The receiver answered 2xx (HTTP 200)').waitFor();
    expect(receiver.calls).toHaveLength(1);
    expect(JSON.parse(receiver.calls[0]?.body ?? '{}')).toMatchObject({ eventType: 'TEST', source: 'e2e' });
    await checkPage('webhook-new');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.waitForURL(/\/webhooks\/[A-Za-z0-9]{17}$/);
    webhookPath = new URL(page.url()).pathname;
    await page.getByText('Deliveries, last 24 hours').waitFor();
  });

  test('test it: the SUCCEEDED dispatch and its call show in place and in the log', async () => {
    await page.getByRole('button', { name: 'Send test event' }).click();
    const result = page.getByTestId('test-result');
    await result.getByText('Succeeded').waitFor();
    await result.getByText('HTTP 200').waitFor();
    // The second call: the first was the test before saving.
    expect(receiver.calls).toHaveLength(2);
    expect(receiver.calls[1]?.headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(receiver.calls[1]?.body ?? '{}')).toMatchObject({ eventType: 'TEST', source: 'e2e' });

    await page.locator('[data-dispatch-status="SUCCEEDED"]').first().waitFor();
    await waitFor('the chart to count it', async () =>
      (await text('[data-testid="chart-totals"]')).includes('Succeeded: 1'),
    );
    await checkPage('webhook-detail');
    await page.locator('[data-dispatch-status="SUCCEEDED"] a').first().click();
    await page.waitForURL('**/dispatches/*');
    dispatchPath = new URL(page.url()).pathname;
    await page.locator('[data-call-status="200"]').waitFor();
    await page.getByText('Attempt 1').waitFor();
    dispatchPath = new URL(page.url()).pathname;
    // The request exactly as the receiver got it, stored with the call: body and signature.
    const sent = receiver.calls[1];
    const sentBody = page.getByRole('region', { name: 'Body of the request of attempt 1' });
    expect(await sentBody.textContent()).toBe(sent?.body);
    const sentHeaders = await page
      .getByRole('region', { name: 'Headers of the request of attempt 1' })
      .textContent();
    expect(sentHeaders).toContain(`webhook-signature: ${sent?.headers['webhook-signature']}`);
    expect(sentHeaders).toContain(`webhook-timestamp: ${sent?.headers['webhook-timestamp']}`);
    expect(await page.getByTestId('rerendered-request').count()).toBe(0);
    const responseHeaders = page.getByRole('region', { name: 'Headers of the response of attempt 1' });
    expect(await responseHeaders.textContent()).toContain('content-type: application/json');
    await checkPage('dispatch-detail');
  });

  test('the receiver fails: FAILED calls show and the chart moves; redeliver succeeds', async () => {
    receiver.setStatus(500);
    await page.goto(`${stack.dashboardUrl}${webhookPath}`);
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByTestId('test-result').getByText('HTTP 500').waitFor();
    await waitFor(
      'the chart to count the failure',
      async () => (await text('[data-testid="chart-totals"]')).includes('Failed: 1'),
      30_000,
    );
    await page.locator('[data-dispatch-status="FAILED"]').first().waitFor();
    await page.locator('[data-dispatch-status="FAILED"] a').first().click();
    await page.waitForURL('**/dispatches/*');
    await page.locator('[data-call-status="500"]').waitFor();
    await checkPage('dispatch-failed');

    receiver.setStatus(200);
    const callsBefore = receiver.calls.length;
    await page.getByRole('button', { name: 'Redeliver' }).click();
    await page.locator('[data-call-status="200"]').waitFor();
    await page.getByText('Attempt 2').waitFor();
    expect(receiver.calls.length).toBe(callsBefore + 1);
  });

  test('pause and resume', async () => {
    await page.goto(`${stack.dashboardUrl}${webhookPath}`);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page
      .getByRole('heading', { name: 'Paused' })
      .or(page.getByText('Someone paused this webhook'))
      .first()
      .waitFor();
    await page.locator('[data-state="STOPPED"]').first().waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('[data-state="ACTIVE"]').first().waitFor();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
  });

  test('the webhooks table shows state, last dispatch and the 24 h success rate', async () => {
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    const row = page.getByRole('row', { name: /127\.0\.0\.1/ });
    await row.waitFor();
    // 2 finished dispatches (the first test, the redelivered one): both succeeded in the end.
    await row.getByText('100 %').waitFor();
    await page.getByLabel('Search').fill('no-such-webhook');
    await page.getByText('No webhook matches these filters.').waitFor();
    await page.getByLabel('Search').fill('');
    await row.waitFor();
    await checkPage('webhooks');
  });

  test('create a token (shown once), use it, revoke it', async () => {
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.waitForURL('**/tokens');
    // No token was made behind anyone's back: the first admin has none until they make one.
    await page.getByText('No tokens. Create one above.').waitFor();
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('created-token').textContent())?.trim() ?? '';
    expect(token).toMatch(/^ricochet_api_/);
    const me = await fetch(`${stack.apiUrl}/v2/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    await page.screenshot({ path: join(screenshotDir, 'token-created-desktop.png') });
    await page.keyboard.press('Escape');
    await page.getByRole('row', { name: /ci/ }).waitFor();
    await checkPage('tokens');
    await page.getByRole('button', { name: 'Revoke ci' }).click();
    // It asks first; nothing is revoked until confirmed.
    await page.getByRole('dialog', { name: 'Revoke “ci”?' }).waitFor();
    expect(
      (await fetch(`${stack.apiUrl}/v2/users/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    await page.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('No tokens. Create one above.').waitFor();
    await waitFor('the token to stop working', async () => {
      const response = await fetch(`${stack.apiUrl}/v2/users/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return response.status === 401;
    });
  });

  test('events, event types and the admin pages load and pass axe', async () => {
    await page.goto(`${stack.dashboardUrl}/event-types`);
    await page.getByLabel('Name').fill('order.created');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('cell', { name: 'order.created', exact: true }).waitFor();
    await checkPage('event-types');

    await page.goto(`${stack.dashboardUrl}/events`);
    await page.getByLabel('Event type').selectOption('ACTOR.RUN.SUCCEEDED');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page
      .getByRole('cell', { name: /ACTOR\.RUN\.SUCCEEDED/ })
      .first()
      .waitFor();
    await checkPage('events');
    // An event's page: its payload and its fan-out, one dispatch per subscribed webhook.
    await page
      .getByRole('link', { name: /^ACTOR\.RUN\.SUCCEEDED: event / })
      .first()
      .click();
    await page.waitForURL('**/events/*');
    eventPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: /^Event / }).waitFor();
    expect(JSON.parse((await page.getByTestId('event-data').textContent()) ?? '')).toEqual({
      actorId: '',
      actorRunId: '',
    });
    await page.locator('[data-dispatch-status]').first().waitFor();
    expect(await page.locator('[data-dispatch-status]').count()).toBe(1);
    await checkPage('event-detail');
    await page.goto(`${stack.dashboardUrl}/dispatches`);
    await page.locator('[data-dispatch-status]').first().waitFor();
    await checkPage('dispatches');

    await page.goto(`${stack.dashboardUrl}/admin`);
    await page.getByText('Slowest targets').waitFor();
    await page.getByText('127.0.0.1:').first().waitFor();
    await checkPage('admin-overview');

    await page.goto(`${stack.dashboardUrl}/admin/users`);
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('First password').fill('bobs password 1');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('cell', { name: 'bob', exact: true }).waitFor();
    await checkPage('admin-users');

    await page.goto(`${stack.dashboardUrl}/webhooks/AAAAAAAAAAAAAAAAA`);
    await page.getByText('This webhook does not exist, or it is not yours.').waitFor();
    await checkPage('webhook-not-found');
  });

  test('desktop, phone and dark: no layout shift while data arrives, nothing too wide, no axe violation', async () => {
    await checkLooks(
      stack,
      await context.cookies(),
      looksOf(
        mainPages(),
        mainPages().filter(([name]) => DARK_PAGES.has(name)),
      ),
    );
  });

  test('keyboard: skip link, then the navigation, reachable with Tab', async () => {
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    await page.locator('main h1').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#main');
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    await page.locator('main h1').waitFor();
    // Skip link, brand, then the first navigation entry.
    for (let index = 0; index < 3; index++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Webhooks');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/webhooks');
  });

  test('sign out ends the session', async () => {
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    const response = await page.request.get(`${stack.dashboardUrl}/trpc/auth.session`);
    expect((await response.json()).result.data).toBeNull();
    expect(visited.size).toBeGreaterThanOrEqual(10);
  });
});
