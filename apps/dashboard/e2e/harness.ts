import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyWebhook } from '@ricochet/client/webhooks';
import {
  freePort,
  type RicochetProcess,
  startProcess,
  startServerScript,
  startReceiver as startTestReceiver,
  stopGracefully,
  waitFor,
} from '@ricochet/testkit';
import {
  type Browser,
  type BrowserContextOptions,
  type Cookie,
  chromium,
  type Frame,
  type Page,
} from 'playwright-core';
import { expect } from 'vitest';

const dashboardDir = fileURLToPath(new URL('..', import.meta.url));
export const screenshotDir = join(dashboardDir, 'test-results', 'screenshots');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export type ReceivedCall = {
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether verifyWebhook accepted the call under the receiver's secrets; null when it checks none. */
  verified: boolean | null;
};

/**
 * A webhook receiver on loopback: answers `status` (200 unless told otherwise) and records calls.
 * Given secrets (`acceptSecrets`), it verifies each call the way a customer's receiver does, with
 * @ricochet/client's verifyWebhook, and answers 401 to a call no secret of its verifies.
 */
export async function startReceiver() {
  const calls: ReceivedCall[] = [];
  let status = 200;
  let secrets: string[] | null = null;
  let hangUp = false;
  const receiver = await startTestReceiver(async (request, response) => {
    if (hangUp) {
      // The connection closes without a word: a call that gets no response at all.
      calls.push({ headers: request.headers, body: '', verified: null });
      response.socket?.destroy();
      return;
    }
    const verified =
      secrets === null
        ? null
        : await verifyWebhook({ payload: request.body, headers: request.headers, secrets }).then(
            () => true,
            () => false,
          );
    calls.push({ headers: request.headers, body: request.body, verified });
    const answer = verified === false ? 401 : status;
    response.writeHead(answer, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ received: true, status: answer }));
  });
  return {
    url: `${receiver.url}/hook`,
    calls,
    setStatus: (next: number) => {
      status = next;
    },
    /** Whether it hangs up on every call from now on instead of answering. */
    setHangUp: (next: boolean) => {
      hangUp = next;
    },
    /** The secrets it verifies calls with from now on (null: it checks nothing). */
    acceptSecrets: (next: string[] | null) => {
      secrets = next;
    },
    close: () => receiver.close(),
  };
}

export type Stack = {
  apiUrl: string;
  dashboardUrl: string;
  setupUrl: string;
  browser: Browser;
  close(): Promise<void>;
};

/**
 * The real thing: the API + worker (main.ts on an embedded database of its own), the BUILT
 * dashboard under its production server (server.mjs), and Chromium. Needs `next build` to have run (turbo's test task
 * depends on the build).
 */
export async function startStack(
  env: Record<string, string> = {},
  dashboardEnv: Record<string, string> = {},
): Promise<Stack> {
  if (!existsSync(join(dashboardDir, '.next', 'BUILD_ID'))) {
    throw new Error('The dashboard is not built: run `pnpm --filter @ricochet/dashboard build` first.');
  }
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`No Chromium at ${CHROMIUM_PATH} (apt-get install chromium).`);
  const [apiPort, dashboardPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-e2e-'));

  const dashboard = startProcess(
    process.execPath,
    [join(dashboardDir, 'server.mjs'), '--port', String(dashboardPort), '--hostname', '127.0.0.1'],
    { cwd: dashboardDir, env: { RICOCHET_API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: '1', ...dashboardEnv } },
  );
  const api = startServerScript(['src/main.ts'], {
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    RICOCHET_DATA_DIR: join(dataDir, 'db'),
    RICOCHET_DASHBOARD_URL: dashboardUrl,
    OUTBOUND_ALLOW_LOOPBACK: 'true',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '100000',
    DELIVERY_POLL_INTERVAL_MS: '200',
    // One attempt per round: a failing receiver makes FAILED dispatches at once.
    DELIVERY_MAX_RETRIES: '0',
    DELIVERY_ATTEMPT_TIMEOUT_MS: '5000',
    ...env,
  });
  const output = (running: RicochetProcess) => running.lines.join('\n');
  const setupUrlPattern = /(http:\/\/\S+\/setup#token=\S+)/;
  try {
    await waitFor('the API to print the setup URL', () => setupUrlPattern.test(output(api)), 180_000);
    await waitFor('the dashboard to answer', async () => (await fetch(`${dashboardUrl}/sign-in`)).ok, 60_000);
  } catch (error) {
    await Promise.all([stopGracefully(api.child), stopGracefully(dashboard.child)]);
    throw new Error(
      `${(error as Error).message}\nAPI output:\n${output(api)}\nDashboard output:\n${output(dashboard)}`,
    );
  }
  const setupUrl = setupUrlPattern.exec(output(api))?.[1] as string;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    apiUrl,
    dashboardUrl,
    setupUrl,
    browser,
    close: async () => {
      await browser.close();
      await Promise.all([stopGracefully(api.child), stopGracefully(dashboard.child)]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A call to the REST API with a bearer token. Returns the answer's `data`; throws with the status and
 * the body when it is an error.
 */
export async function restCall<Data>(
  apiUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Data> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as { data: Data };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** A page in a browser context of its own (desktop, light), closed with the browser. */
export async function newDesktopPage(stack: Stack): Promise<Page> {
  const context = await stack.browser.newContext({
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
  });
  await context.addInitScript(recordPolicyViolations);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return page;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeViolation = { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> };

/**
 * axe-core on the page as it is now; returns the serious and critical violations. Evaluated through
 * the DevTools protocol, which the page's Content-Security-Policy does not govern (an inline script
 * tag, as addScriptTag adds, it rightly refuses).
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  })) as AxeViolation[];
  const a11y = violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${JSON.stringify(violation.nodes.map((node) => node.target))}`,
    );
  // Every page checked is also checked for working under its Content-Security-Policy: nothing it
  // (or a frame of it) loads or runs may have been refused.
  const policy: string[] = [];
  for (const frame of page.frames()) {
    for (const violation of await policyViolationsOf(frame).catch(() => [])) policy.push(`CSP: ${violation}`);
  }
  return [...a11y, ...policy];
}

/** One layout shift the page made: its score and what moved (for the failure message). */
export type LayoutShift = { value: number; moved: string[] };

/**
 * Records every layout shift from the first paint on in `window.__layoutShifts` (a
 * PerformanceObserver installed before the page's own scripts run). Their sum is the page's
 * Cumulative Layout Shift for its whole life so far: no smaller than the session-window CLS that
 * Chromium reports, so holding it under a bound is stricter. Shifts flagged `hadRecentInput` count
 * too: the tests give no input while they measure, and Chromium's phone emulation flags the first
 * half second of every page as following input, which would hide exactly the shifts of loading.
 */
export function recordLayoutShifts() {
  type ShiftEntry = PerformanceEntry & {
    value: number;
    sources: Array<{ node?: Node | null; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly }>;
  };
  const shifts: LayoutShift[] = [];
  (window as unknown as { __layoutShifts: LayoutShift[] }).__layoutShifts = shifts;
  const describe = (node: Node | null | undefined) => {
    if (!(node instanceof Element)) return node?.nodeName ?? '?';
    const slot = node.getAttribute('data-slot') ?? node.id;
    return `${node.tagName.toLowerCase()}${slot ? `[${slot}]` : ''}.${String(node.className).slice(0, 60)}`;
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as ShiftEntry[]) {
      shifts.push({
        value: entry.value,
        moved: entry.sources.map(
          (source) =>
            `${describe(source.node)} ${Math.round(source.previousRect.y)}→${Math.round(source.currentRect.y)} (y), ${Math.round(source.previousRect.x)}→${Math.round(source.currentRect.x)} (x)`,
        ),
      });
    }
  }).observe({ type: 'layout-shift', buffered: true });
}

/** The layout shifts the page has made so far (see recordLayoutShifts) and their sum, its CLS. */
export async function layoutShiftsOf(page: Page): Promise<{ cls: number; shifts: LayoutShift[] }> {
  const shifts = await page.evaluate(
    () => (window as unknown as { __layoutShifts?: LayoutShift[] }).__layoutShifts ?? [],
  );
  return { cls: shifts.reduce((sum, shift) => sum + shift.value, 0), shifts };
}

/**
 * Adds latency to every request of the page (Chromium's own network emulation), so that each
 * loading state is painted before the data replaces it, as on a real network.
 */
export async function slowNetwork(page: Page, latencyMs = 150) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: latencyMs,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
}

/** Resolves when the page shows its data: its heading, no skeleton or "Loading…" left, nothing in flight. */
export async function waitForPageData(page: Page) {
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(
    () =>
      document.querySelector('[data-slot="skeleton"]') === null &&
      !document.querySelector('main')?.textContent?.includes('Loading…'),
  );
  await page.waitForLoadState('networkidle');
}

/**
 * Records every Content-Security-Policy violation of a document (and of each frame in it) in
 * `window.__policyViolations`: an init script, running before the page's own scripts.
 */
export function recordPolicyViolations() {
  const seen: string[] = [];
  (window as unknown as { __policyViolations: string[] }).__policyViolations = seen;
  document.addEventListener('securitypolicyviolation', (event) => {
    seen.push(
      `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
    );
  });
}

/** The policy violations the page (or frame) has had so far (see recordPolicyViolations). */
export async function policyViolationsOf(view: Page | Frame): Promise<string[]> {
  return view.evaluate(
    () => (window as unknown as { __policyViolations?: string[] }).__policyViolations ?? [],
  );
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** One way of looking at the dashboard: a viewport and colour scheme, and the pages to look at. */
export type Look = {
  /** The screenshots' suffix and the key in layout-shift.json: desktop, phone, dark. */
  name: string;
  options: BrowserContextOptions;
  /** By screenshot name: [name, path]. */
  pages: Array<[name: string, path: string]>;
};

/** The three looks of the dashboard's checks: desktop and phone (touch, overlay scrollbars) in light, desktop dark. */
export function looksOf(pages: Look['pages'], darkPages: Look['pages'] = pages): Look[] {
  return [
    { name: 'desktop', options: { viewport: DESKTOP, colorScheme: 'light' }, pages },
    {
      name: 'phone',
      options: { viewport: PHONE, isMobile: true, hasTouch: true, colorScheme: 'light' },
      pages,
    },
    { name: 'dark', options: { viewport: DESKTOP, colorScheme: 'dark' }, pages: darkPages },
  ];
}

/** No sideways scrolling: nothing sticks out past the viewport but scrolling tables and code (the culprits are named). */
export async function expectFitsViewport(view: Page, what: string) {
  const tooWide = await view.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter((element) => !element.closest('[data-slot="table-container"], pre, .recharts-wrapper'))
      .slice(0, 5)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className}`.slice(0, 120)),
  );
  expect(tooWide, `${what} fits the width`).toEqual([]);
}

/**
 * The checks every main page gets, each look in a browser context of its own (signed in with
 * `cookies`), all looks at once: each page loaded over a slow network must keep its Cumulative
 * Layout Shift while the data arrives under 0.1 (Google's "good"; the shifts are listed when it
 * fails), fit the width and pass axe (and its Content-Security-Policy); then it is photographed whole. The CLS figures are merged
 * into test-results/layout-shift.json and returned.
 */
export async function checkLooks(stack: Stack, cookies: Cookie[], looks: Look[]) {
  const measured: Record<string, Record<string, number>> = {};
  const check = async ({ name: look, options, pages }: Look) => {
    const context = await stack.browser.newContext(options);
    await context.addCookies(cookies);
    await context.addInitScript(recordLayoutShifts);
    await context.addInitScript(recordPolicyViolations);
    const view = await context.newPage();
    view.setDefaultTimeout(30_000);
    await slowNetwork(view);
    for (const [name, path] of pages) {
      await view.goto(`${stack.dashboardUrl}${path}`);
      await waitForPageData(view);
      const { cls, shifts } = await layoutShiftsOf(view);
      measured[name] = { ...measured[name], [look]: Number(cls.toFixed(4)) };
      expect(cls, `layout shift of ${name} (${look}): ${JSON.stringify(shifts, null, 1)}`).toBeLessThan(0.1);
      await expectFitsViewport(view, `${name} (${look})`);
      expect(await seriousA11yViolations(view), `axe on ${name} (${look})`).toEqual([]);
      await view.screenshot({ path: join(screenshotDir, `${name}-${look}.png`), fullPage: true });
    }
    await context.close();
  };
  await Promise.all(looks.map(check));
  const file = join(screenshotDir, '..', 'layout-shift.json');
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as typeof measured) : {};
  writeFileSync(file, `${JSON.stringify({ ...before, ...measured }, null, 2)}\n`);
  console.log('Cumulative Layout Shift while data arrives:', measured);
  return measured;
}
