import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@ricochet/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  newDesktopPage,
  restCall,
  type Stack,
  screenshotDir,
  seriousA11yViolations,
  startReceiver,
  startStack,
} from './harness';

const ADMIN_TOKEN = `ricochet_e2e_${randomBytes(12).toString('hex')}`;

let stack: Stack;
const receivers: Array<Awaited<ReturnType<typeof startReceiver>>> = [];

function api<Data>(method: string, path: string, body?: unknown): Promise<Data> {
  return restCall<Data>(stack.apiUrl, ADMIN_TOKEN, method, path, body);
}

function newPage(): Promise<Page> {
  return newDesktopPage(stack);
}

/** A browser signed in as the first admin, with the API token the server was given. */
async function adminPage(): Promise<Page> {
  const page = await newPage();
  await page.goto(`${stack.dashboardUrl}/sign-in`);
  await page.getByRole('button', { name: 'Sign in with an API token instead' }).click();
  await page.getByLabel('API token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.waitForURL('**/webhooks');
  return page;
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${stack.dashboardUrl}/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** A receiver of this test's own and a webhook of the admin's that calls it. */
async function webhookWithReceiver(description: string, options: { doNotRetry?: boolean } = {}) {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const webhook = await api<{ id: string }>('POST', '/v2/webhooks', {
    eventTypes: ['ACTOR.RUN.SUCCEEDED'],
    requestUrl: receiver.url,
    description,
    ...options,
  });
  return { receiver, webhookId: webhook.id };
}

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  stack = await startStack({
    RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
    // A short retry schedule, so a series of retries plays out within the test: 1 s, doubling, never
    // more than 3 s apart (the defaults: a minute, doubling, up to a day). 20 retries leave the test
    // about a minute to see the dispatch retrying before it would give up, on a busy machine too.
    DELIVERY_MAX_RETRIES: '20',
    DELIVERY_RETRY_BASE_DELAY_MS: '1000',
    DELIVERY_RETRY_MAX_DELAY_MS: '3000',
  });
});

afterAll(async () => {
  await stack?.close();
  for (const receiver of receivers) await receiver.close();
});

describe('retries, secrets and users in a real browser', () => {
  test('a failing receiver: the dispatch shows it is retrying and when, then succeeds once the receiver recovers', async () => {
    const { receiver, webhookId } = await webhookWithReceiver('Retry series');
    receiver.setStatus(500);
    const page = await adminPage();
    await api('POST', '/v2/events', {
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: 'retry-actor' },
    });
    await waitFor('the first attempt to fail', () => receiver.calls.length >= 1);

    // The webhook's log and chart count it as retrying, not failed.
    await page.goto(`${stack.dashboardUrl}/webhooks/${webhookId}`);
    const row = page.locator('[data-dispatch-status="ACTIVE"]');
    await row.getByText('Retrying', { exact: true }).waitFor();
    // Under its event type, where it stands: waiting for the next attempt, until when.
    await row
      .locator('[data-queue-state="SCHEDULED"]')
      .getByText(/^Retrying at (\d+ \w+ \d{4}, )?\d\d:\d\d:\d\d UTC$/)
      .waitFor();
    await waitFor('the chart to count it as retrying', async () =>
      ((await page.getByTestId('chart-totals').textContent()) ?? '').includes('Retrying: 1'),
    );
    await row.getByRole('link').click();
    await page.waitForURL('**/dispatches/*');
    const dispatchId = new URL(page.url()).pathname.split('/').at(-1) as string;

    // Its page: Retrying, the failed call, and the time of the next attempt, the server's own.
    await page.getByRole('heading', { name: `Dispatch ${dispatchId}` }).waitFor();
    await page.locator('main').getByText('Retrying', { exact: true }).first().waitFor();
    await page.locator('[data-call-status="500"]').first().waitFor();
    // Between attempts it waits for the next one, and says until when.
    await page
      .locator('main [data-queue-state="SCHEDULED"]')
      .getByText(/^Retrying at (\d+ \w+ \d{4}, )?\d\d:\d\d:\d\d UTC$/)
      .waitFor();
    const dispatch = await api<{ status: string; nextAttemptAt: string | null }>(
      'GET',
      `/v2/webhook-dispatches/${dispatchId}`,
    );
    expect(dispatch.status).toBe('ACTIVE');
    expect(dispatch.nextAttemptAt).not.toBeNull();
    expect(await seriousA11yViolations(page), 'axe on a retrying dispatch').toEqual([]);
    await page.screenshot({ path: join(screenshotDir, 'dispatch-retrying-desktop.png'), fullPage: true });

    // The receiver recovers: the next scheduled attempt succeeds, and the page follows by itself.
    const failedCalls = receiver.calls.length;
    receiver.setStatus(200);
    await page.locator('main').getByText('Succeeded', { exact: true }).first().waitFor();
    await page.locator('[data-call-status="200"]').waitFor();
    expect(await page.locator('main [data-queue-state]').count()).toBe(0);
    expect(receiver.calls.length).toBe(failedCalls + 1);
    // Every attempt was the same delivery: one webhook-id, the dispatch's, for the receiver to dedupe on.
    expect(new Set(receiver.calls.map((call) => call.headers['webhook-id']))).toEqual(new Set([dispatchId]));
  });

  test('rotating the secret with a grace period: the new secret is shown and verifies, the old one still does until the grace ends', async () => {
    // One attempt per test event: a refused call is not retried behind the test's back.
    const { receiver, webhookId } = await webhookWithReceiver('Rotation', { doNotRetry: true });
    const page = await adminPage();
    await page.goto(`${stack.dashboardUrl}/webhooks/${webhookId}`);
    const panel = page.locator('[data-slot="card"]', { has: page.getByText('Signing secret') });
    await panel.getByRole('button', { name: 'Show secret' }).click();
    const secretOf = (caption: RegExp) =>
      panel
        .locator('li', { has: page.getByText(caption) })
        .locator('code')
        .textContent();
    await panel.getByText('Current secret').waitFor();
    const first = (await secretOf(/^Current secret$/))?.trim() ?? '';
    expect(first).toMatch(/^whsec_/);

    // Rotate, the old secret signing for one more hour.
    await panel.getByLabel('Old secret stops signing').selectOption({ label: 'after 1 hour' });
    await panel.getByRole('button', { name: 'Rotate secret' }).click();
    await panel.getByText(/^Old secret, stops signing/).waitFor();
    const second = (await secretOf(/^Current secret$/))?.trim() ?? '';
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    expect((await secretOf(/^Old secret/))?.trim()).toBe(first);
    await page.screenshot({ path: join(screenshotDir, 'secret-rotated-desktop.png') });

    /** Sends a test event from the page and returns how the receiver answered it. */
    const sendTest = async () => {
      const before = receiver.calls.length;
      await page.getByRole('button', { name: 'Send test event' }).click();
      await waitFor('the test call', () => receiver.calls.length === before + 1);
      await page
        .getByTestId('test-result')
        .getByText(/HTTP \d+/)
        .waitFor();
      return receiver.calls[before] as (typeof receiver.calls)[number];
    };

    // A receiver that already knows the new secret accepts the call (verifyWebhook, receiver side) ...
    receiver.acceptSecrets([second]);
    expect((await sendTest()).verified).toBe(true);
    await page.getByTestId('test-result').getByText('HTTP 200').waitFor();
    // ... and so does one still on the old secret, during the grace period.
    receiver.acceptSecrets([first]);
    expect((await sendTest()).verified).toBe(true);
    await page.getByTestId('test-result').getByText('HTTP 200').waitFor();
    // A secret that was never the webhook's verifies nothing (the check is not vacuous).
    receiver.acceptSecrets(['whsec_bm90IHRoZSB3ZWJob29rJ3Mgc2VjcmV0IGF0IGFsbA==']);
    expect((await sendTest()).verified).toBe(false);

    // Rotate again with no grace: the older secrets stop signing at once.
    await panel.getByLabel('Old secret stops signing').selectOption({ label: 'immediately' });
    await panel.getByRole('button', { name: 'Rotate secret' }).click();
    await waitFor(
      'the third secret to be shown',
      async () => ![first, second, ''].includes((await secretOf(/^Current secret$/))?.trim() ?? ''),
    );
    const third = (await secretOf(/^Current secret$/))?.trim() ?? '';
    receiver.acceptSecrets([second]);
    expect((await sendTest()).verified).toBe(false);
    await page.getByTestId('test-result').getByText('HTTP 401').waitFor();
    receiver.acceptSecrets([third]);
    expect((await sendTest()).verified).toBe(true);
  });

  test('an admin disables a user: their session stops working and they cannot sign in; enabling lets them back', async () => {
    const username = `carol${randomBytes(3).toString('hex')}`;
    const password = 'carols password 1';
    const admin = await adminPage();
    await admin.goto(`${stack.dashboardUrl}/admin/users`);
    await admin.getByLabel('Username').fill(username);
    await admin.getByLabel('First password').fill(password);
    await admin.getByRole('button', { name: 'Create user' }).click();
    const row = admin.getByRole('row', { name: new RegExp(username) });
    await row.getByText('Enabled').waitFor();

    const user = await newPage();
    await signIn(user, username, password);
    await user.waitForURL('**/webhooks');
    await user.getByText('No webhooks yet').waitFor();

    // Disabling asks first, then ends the user's sessions.
    await admin.getByRole('button', { name: `Disable ${username}` }).click();
    const dialog = admin.getByRole('dialog', { name: `Disable ${username}?` });
    await dialog.waitFor();
    expect(await seriousA11yViolations(admin), 'axe on the confirmation').toEqual([]);
    await admin.screenshot({ path: join(screenshotDir, 'user-disable-confirm-desktop.png') });
    await dialog.getByRole('button', { name: 'Disable user' }).click();
    await row.getByText('Disabled').waitFor();

    // The open page's session no longer works: the next page it loads sends the user to sign in.
    await user.goto(`${stack.dashboardUrl}/events`);
    await user.waitForURL('**/sign-in?next=%2Fevents');
    const session = await user.request.get(`${stack.dashboardUrl}/trpc/auth.session`);
    expect((await session.json()).result.data).toBeNull();
    // Nor can they sign in again, with the right password.
    await signIn(user, username, password);
    await user.getByText('The username or password is not right.').waitFor();
    expect(new URL(user.url()).pathname).toBe('/sign-in');

    // Enabling needs no confirmation and lets them sign in again.
    await admin.getByRole('button', { name: `Enable ${username}` }).click();
    await row.getByText('Enabled').waitFor();
    await signIn(user, username, password);
    await user.waitForURL('**/webhooks');
    await user.getByText('No webhooks yet').waitFor();
  });

  test('deleting a webhook asks first; cancelled, nothing happens; confirmed, it is gone', async () => {
    const { webhookId } = await webhookWithReceiver('To be deleted');
    const page = await adminPage();
    await page.goto(`${stack.dashboardUrl}/webhooks/${webhookId}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this webhook?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await api<{ id: string }>('GET', `/v2/webhooks/${webhookId}`)).id).toBe(webhookId);

    await page.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await page.waitForURL('**/webhooks');
    await expect(api('GET', `/v2/webhooks/${webhookId}`)).rejects.toThrow(/404/);
  });
});
