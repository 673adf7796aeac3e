import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../src/config.ts';
import { restRoutes } from '../../src/http/rest/routes.ts';
import { freePort } from '../throwaway-postgres.ts';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BUDGET_MS = 240_000;

function section(title: string): string {
  const start = README.indexOf(`## ${title}`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

// The server's settings, plus those read by the dashboard's process (apps/dashboard/src/lib/api-url.ts
// and apps/dashboard/src/proxy.ts) and by `pnpm start` (scripts/start.mjs), which the README's table
// lists too.
const DASHBOARD_SETTINGS = ['DASHBOARD_PORT', 'RICOCHET_API_URL', 'RICOCHET_PORTAL_FRAME_ANCESTORS'];
const SETTINGS = [...Object.keys(ConfigSchema.shape), ...DASHBOARD_SETTINGS].sort();

describe('the README tells the truth', () => {
  test('its configuration table lists every setting in config.ts, and nothing else', () => {
    const listed = section('Configuration')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) =>
        [...(line.split(' | ')[0] as string).matchAll(/`([A-Z_]+)`/g)].map((match) => match[1]),
      )
      .sort();
    expect(listed).toEqual(SETTINGS);
  });

  test('its API table lists every REST endpoint and /metrics', () => {
    const api = section('API');
    for (const route of restRoutes) expect(api, `${route.method} ${route.path}`).toContain(route.path);
    for (const path of ['/metrics', '/healthz', '/readyz', '/openapi.json', '/trpc/'])
      expect(api).toContain(path);
  });

  test('it says delivery is at least once and receivers dedupe on webhook-id', () => {
    expect(README).toMatch(/at\s+least\s+once/);
    expect(README).toMatch(/dedupe on the `webhook-id`/);
    expect(README).not.toMatch(/deliver each attempt once/);
  });
});

describe('every README command gets the whole environment', () => {
  test('turbo passes every setting through to dev, test and bench, and TEST_DATABASE_URL to test and bench', () => {
    const dry = spawnSync('pnpm', ['exec', 'turbo', 'run', 'dev', 'test', 'bench', '--dry=json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: BUDGET_MS,
    });
    expect(dry.status, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect([...plan.globalCacheInputs.environmentVariables.specified.passThroughEnv].sort()).toEqual(
      expect.arrayContaining(SETTINGS),
    );
    for (const task of plan.tasks.filter(
      (t: { package: string; task: string }) =>
        t.package === '@ricochet/server' && ['test', 'bench'].includes(t.task),
    )) {
      expect(task.environmentVariables.specified.env, task.task).toContain('TEST_DATABASE_URL');
    }
  });

  test(
    'PORT=<port> pnpm dev listens on that port',
    async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-dev-'));
      const child = spawn('pnpm', ['dev'], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          RICOCHET_DATA_DIR: dataDir,
          DATABASE_URL: '',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so turbo, pnpm and the server stop together.
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      try {
        await expect
          .poll(
            async () =>
              fetch(`http://127.0.0.1:${port}/healthz`).then(
                (response) => response.status,
                () => 0,
              ),
            { timeout: BUDGET_MS, interval: 500 },
          )
          .toBe(200);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${output.slice(-3000)}`);
      } finally {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
        await exited;
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    BUDGET_MS + 30_000,
  );

  test(
    'pnpm ricochet prints only the command’s own output',
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-cli-'));
      try {
        const result = spawnSync('pnpm', ['ricochet', 'users', 'list'], {
          cwd: ROOT,
          env: { ...process.env, RICOCHET_DATA_DIR: dataDir, DATABASE_URL: '' },
          encoding: 'utf8',
          timeout: BUDGET_MS,
        });
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toBe('[]\n');
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    BUDGET_MS,
  );
});
