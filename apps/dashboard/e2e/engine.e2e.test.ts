import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@ricochet/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  checkLooks,
  looksOf,
  newDesktopPage,
  restCall,
  type Stack,
  screenshotDir,
  seriousA11yViolations,
  startReceiver,
  startStack,
} from './harness';

// The delivery engine's states as people see them: a webhook's rate limit (set, shown, lifted in
// the form) and the dispatches waiting for its slots; a receiver that hangs up on every call, whose
// circuit opens (the notice, the table's indicator, a held dispatch), until its URL is changed.

const ADMIN_TOKEN = `ricochet_e2e_${randomBytes(12).toString('hex')}`;
/** Events published to the rate-limited webhook: at one call a second, most wait while the test looks. */
const PACED_EVENTS = 12;

type ApiWebhook = {
  id: string;
  rateLimitPerSecond: number | null;
  circuit: { state: 'CLOSED' | 'OPEN'; callsWithoutResponse: number | null };
};
type ApiDispatch = { id: string; status: string; queueState: string | null };

let stack: Stack;
let page: Page;
const receivers: Array<Awaited<ReturnType<typeof startReceiver>>> = [];
let paced: { receiver: Awaited<ReturnType<typeof startReceiver>>; webhookId: string };
let broken: {
  receiver: Awaited<ReturnType<typeof startReceiver>>;
  webhookId: string;
  heldDispatchId: string;
};

function api<Data>(method: string, path: string, body?: unknown): Promise<Data> {
  return restCall<Data>(stack.apiUrl, ADMIN_TOKEN, method, path, body);
}

async function receiver() {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

async function dispatchesOf(webhookId: string) {
  return (await api<{ items: ApiDispatch[] }>('GET', `/v2/webhooks/${webhookId}/dispatches?limit=100`)).items;
}

async function checkPage(name: string) {
  await page.waitForLoadState('networkidle');
  expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([]);
  await page.screenshot({ path: join(screenshotDir, `${name}-desktop.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  stack = await startStack({
    RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
    // Two calls in a row without a response open a circuit, and its first probe waits ten minutes:
    // the circuit stays open while the test looks at it (the engine's tests cover the probes).
    CIRCUIT_FAILURE_THRESHOLD: '2',
    CIRCUIT_PROBE_DELAY_MS: '600000',
  });
  page = await newDesktopPage(stack);
  await page.goto(`${stack.dashboardUrl}/sign-in`);
  await page.getByRole('button', { name: 'Sign in with an API token instead' }).click();
  await page.getByLabel('API token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.waitForURL('**/webhooks');
});

afterAll(async () => {
  await stack?.close();
  for (const started of receivers) await started.close();
});

describe('rate limits and circuits in a real browser', () => {
  test('a rate limit set in the form: checked by the schema, shown on the webhook page, its dispatches wait for slots', async () => {
    paced = { receiver: await receiver(), webhookId: '' };
    await page.goto(`${stack.dashboardUrl}/webhooks/new`);
    await page.getByLabel('URL', { exact: true }).fill(paced.receiver.url);
    await page.getByRole('checkbox', { name: 'ACTOR.RUN.SUCCEEDED' }).click();
    await page.getByLabel('Description').fill('Paced');
    const rateLimit = page.getByLabel('Rate limit (calls per second)');
    await rateLimit.fill('0');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByText('must be at least 1 call per second').waitFor();
    expect(await rateLimit.getAttribute('aria-invalid')).toBe('true');
    await rateLimit.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshotDir, 'webhook-rate-limit-invalid-desktop.png') });
    await rateLimit.fill('1.5');
    await page.getByText('must be a whole number of calls per second').waitFor();
    await rateLimit.fill('1');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.waitForURL(/\/webhooks\/[A-Za-z0-9]{17}$/);
    paced.webhookId = new URL(page.url()).pathname.split('/').at(-1) as string;
    await page.locator('main [data-rate-limit="1"]').getByText('Max 1 call/s').waitFor();
    expect((await api<ApiWebhook>('GET', `/v2/webhooks/${paced.webhookId}`)).rateLimitPerSecond).toBe(1);

    // A burst: one call a second goes, the others wait for a slot, and the log says so.
    for (let index = 0; index < PACED_EVENTS; index++) {
      await api('POST', '/v2/events', { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { index } });
    }
    await page.reload();
    await page
      .getByText(/rate-limit slot/i)
      .first()
      .waitFor();
    await checkPage('webhook-waiting-for-slots');

    await page.goto(`${stack.dashboardUrl}/webhooks`);
    await page.getByRole('row', { name: /Paced · Max 1 call\/s/ }).waitFor();
  });

  test('a receiver that hangs up on every call: the circuit opens, the page says why and when the next probe goes', async () => {
    const hangsUp = await receiver();
    hangsUp.setHangUp(true);
    const webhook = await api<ApiWebhook>('POST', '/v2/webhooks', {
      eventTypes: ['ACTOR.RUN.FAILED'],
      requestUrl: hangsUp.url,
      description: 'Hangs up',
    });
    // Two calls without a response open its circuit; the event after them is held, not sent.
    await api('POST', '/v2/events', { eventType: 'ACTOR.RUN.FAILED', eventData: { run: 1 } });
    await api('POST', '/v2/events', { eventType: 'ACTOR.RUN.FAILED', eventData: { run: 2 } });
    await waitFor(
      'the circuit to open',
      async () => (await api<ApiWebhook>('GET', `/v2/webhooks/${webhook.id}`)).circuit.state === 'OPEN',
    );
    await api('POST', '/v2/events', { eventType: 'ACTOR.RUN.FAILED', eventData: { run: 3 } });
    let held: ApiDispatch | undefined;
    await waitFor('the third dispatch to be held', async () => {
      held = (await dispatchesOf(webhook.id)).find((dispatch) => dispatch.queueState === 'HELD');
      return held !== undefined;
    });
    expect(hangsUp.calls).toHaveLength(2);
    broken = { receiver: hangsUp, webhookId: webhook.id, heldDispatchId: held?.id as string };

    await page.goto(`${stack.dashboardUrl}/webhooks/${webhook.id}`);
    const notice = page.getByTestId('circuit-notice');
    await notice.getByText('Circuit open: deliveries paused').waitFor();
    const said = (await notice.textContent()) ?? '';
    // Times of today are written as times of day (a day earlier, with the date).
    const time = String.raw`(\d+ \w+ \d{4}, )?\d\d:\d\d:\d\d UTC`;
    expect(said).toMatch(new RegExp(`Deliveries paused since ${time}: 2 calls in a row got no response[.]`));
    expect(said).toMatch(new RegExp(`Next probe at ${time}[.]`));
    expect(said).toMatch(/Last error: \S+/);
    // Its notifications say the same: failing (no response), after its creation.
    const notes = page.getByTestId('notifications');
    await notes.getByText('Failing: 2 calls in a row got no response').waitFor();
    await notes.getByText('Created').waitFor();
    // The held dispatch, in the log and on its own page.
    const row = page.locator('[data-dispatch-status="ACTIVE"]');
    await row.getByText('Held: webhook paused or its circuit is open').waitFor();
    await checkPage('webhook-circuit-open-seen');
    await row.getByRole('link').click();
    await page.waitForURL(`**/dispatches/${broken.heldDispatchId}`);
    await page
      .locator('main [data-queue-state="HELD"]')
      .getByText('Held: webhook paused or its circuit is open')
      .waitFor();
    await checkPage('dispatch-held-seen');

    // The table marks the webhook, beside its state (still Active: nobody paused it).
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    const tableRow = page.getByRole('row', { name: /Hangs up/ });
    await tableRow.locator('[data-state="ACTIVE"]').waitFor();
    await tableRow.locator('[data-circuit="OPEN"]').getByText('Circuit open').waitFor();
    expect(await page.locator('[data-circuit="OPEN"]').count()).toBe(1);
    await checkPage('webhooks-engine-seen');
  });

  test('desktop, phone and dark: the new states keep still while their data arrives, fit, and pass axe', async () => {
    const pages: Array<[string, string]> = [
      ['webhooks-engine', '/webhooks'],
      ['webhook-rate-limited', `/webhooks/${paced.webhookId}`],
      ['webhook-edit-rate-limit', `/webhooks/${paced.webhookId}/edit`],
      ['webhook-circuit-open', `/webhooks/${broken.webhookId}`],
      ['dispatch-held', `/dispatches/${broken.heldDispatchId}`],
    ];
    await checkLooks(stack, await page.context().cookies(), looksOf(pages));
  });

  test('emptying the rate limit in the form lifts it: every waiting dispatch is delivered', async () => {
    await page.goto(`${stack.dashboardUrl}/webhooks/${paced.webhookId}/edit`);
    const rateLimit = page.getByLabel('Rate limit (calls per second)');
    expect(await rateLimit.inputValue()).toBe('1');
    await rateLimit.fill('');
    // The errors e-mail is checked by the API's own rule, and the traceparent switch is saved too.
    const errorsEmail = page.getByLabel('Errors e-mail');
    await errorsEmail.fill('not-an-address');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('must be an e-mail address').waitFor();
    await errorsEmail.fill('oncall@example.com');
    const traceparent = page.getByRole('checkbox', { name: /traceparent/ });
    expect(await traceparent.getAttribute('aria-checked')).toBe('true');
    await traceparent.click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`**/webhooks/${paced.webhookId}`);
    await page.locator('main [data-state="ACTIVE"]').first().waitFor();
    expect(await page.locator('main [data-rate-limit]').count()).toBe(0);
    const saved = await api<ApiWebhook & { errorsEmail: string | null; propagateTraceContext: boolean }>(
      'GET',
      `/v2/webhooks/${paced.webhookId}`,
    );
    expect(saved).toMatchObject({
      rateLimitPerSecond: null,
      errorsEmail: 'oncall@example.com',
      propagateTraceContext: false,
    });
    await waitFor('every paced event to be delivered', () => paced.receiver.calls.length === PACED_EVENTS);
    await waitFor('the log to show them all delivered', async () =>
      (await dispatchesOf(paced.webhookId)).every((dispatch) => dispatch.status === 'SUCCEEDED'),
    );
  });

  test('the alert e-mail address is set on the webhooks page, checked by the schema', async () => {
    await page.goto(`${stack.dashboardUrl}/webhooks`);
    const address = page.getByTestId('alert-email');
    await address.fill('nope');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('must be an e-mail address').waitFor();
    await address.fill('owner@example.com');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Alerts go to owner@example.com').waitFor();
    expect((await api<{ alertEmail: string | null }>('GET', '/v2/users/me')).alertEmail).toBe(
      'owner@example.com',
    );
    await page.reload();
    await waitFor(
      'the saved address in the field',
      async () => (await address.inputValue()) === 'owner@example.com',
    );
    await address.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshotDir, 'webhooks-alert-email-desktop.png') });
  });

  test('pointing the webhook at a receiver that answers closes its circuit: the notice goes, the held dispatch is delivered', async () => {
    const answers = await receiver();
    await page.goto(`${stack.dashboardUrl}/webhooks/${broken.webhookId}/edit`);
    await page.getByLabel('URL', { exact: true }).fill(answers.url);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`**/webhooks/${broken.webhookId}`);
    await page.locator('main [data-state="ACTIVE"]').first().waitFor();
    expect(await page.getByTestId('circuit-notice').count()).toBe(0);
    await waitFor('the held dispatch to reach the new receiver', () => answers.calls.length === 1);
    await page.locator('[data-dispatch-status="SUCCEEDED"]').first().waitFor();
    const circuit = (await api<ApiWebhook>('GET', `/v2/webhooks/${broken.webhookId}`)).circuit;
    expect(circuit).toMatchObject({ state: 'CLOSED', callsWithoutResponse: null });
    expect(broken.receiver.calls).toHaveLength(2);
  });
});
