import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const dashboardDir = fileURLToPath(new URL('..', import.meta.url));
const serverDir = fileURLToPath(new URL('../../server', import.meta.url));
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

/** A free loopback port (the OS picks it; the window until it is used again is tiny). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves when `predicate` is true, polling; fails after `budgetMs` with `what`. */
export async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, budgetMs = 60_000) {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    try {
      if (await predicate()) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

function startProcess(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export type ReceivedCall = { headers: IncomingHttpHeaders; body: string };

/** A webhook receiver on loopback: answers `status` (200 unless told otherwise) and records calls. */
export async function startReceiver() {
  const calls: ReceivedCall[] = [];
  let status = 200;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      calls.push({ headers: request.headers, body });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ received: true, status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    setStatus: (next: number) => {
      status = next;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
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
    dashboardDir,
    { RICOCHET_API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: '1', ...dashboardEnv },
  );
  const api = startProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], serverDir, {
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
  const setupUrlPattern = /(http:\/\/\S+\/setup#token=\S+)/;
  try {
    await waitFor('the API to print the setup URL', () => setupUrlPattern.test(api.output()), 180_000);
    await waitFor('the dashboard to answer', async () => (await fetch(`${dashboardUrl}/sign-in`)).ok, 60_000);
  } catch (error) {
    await Promise.all([stopProcess(api.child), stopProcess(dashboard.child)]);
    throw new Error(
      `${(error as Error).message}\nAPI output:\n${api.output()}\nDashboard output:\n${dashboard.output()}`,
    );
  }
  const setupUrl = setupUrlPattern.exec(api.output())?.[1] as string;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    apiUrl,
    dashboardUrl,
    setupUrl,
    browser,
    close: async () => {
      await browser.close();
      await Promise.all([stopProcess(api.child), stopProcess(dashboard.child)]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeViolation = { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> };

/** axe-core on the page as it is now; returns the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = (await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  })) as AxeViolation[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${JSON.stringify(violation.nodes.map((node) => node.target))}`,
    );
}
