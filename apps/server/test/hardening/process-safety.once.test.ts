import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ensureStopped, type RicochetProcess, startRicochet } from '@ricochet/testkit';
import { afterEach, describe, expect, test } from 'vitest';

const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));
// Generous: starting a process and migrating PGlite takes 5-30 s on a loaded 2-core machine.
const START_BUDGET_MS = 180_000;

const running: RicochetProcess[] = [];
const dataDirs: string[] = [];
afterEach(async () => {
  await ensureStopped(running.splice(0));
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ricochet-hardening-'));
  dataDirs.push(dir);
  return dir;
}

async function startServer(env: Record<string, string> = {}) {
  const server = startRicochet(['--api'], {
    PORT: '0',
    RICOCHET_DATA_DIR: dataDir(),
    DATABASE_URL: '',
    RICOCHET_ADMIN_TOKEN: 'hardening-admin-token-0001',
    ...env,
  });
  running.push(server);
  const line = await server.waitForLine(/Server listening at/, START_BUDGET_MS);
  const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
  return { server, base };
}

type RawAnswer = { status: number; body: string } | { error: string };

/** A request with any method, headers and body, written as given (no client-side checks). */
function rawRequest(
  base: string,
  options: {
    method: string;
    path?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    chunked?: boolean;
  },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const request = httpRequest(
      `${base}${options.path ?? '/healthz'}`,
      {
        method: options.method,
        headers: {
          ...(options.body && !options.chunked && { 'content-length': String(options.body.length) }),
          ...options.headers,
        },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', (error) => resolve({ error: error.message }));
      },
    );
    // The server may answer (413) and close before the whole body is sent: that is not a failure.
    request.on('error', (error) => resolve({ error: error.message }));
    if (options.body) request.write(options.body);
    request.end();
  });
}

async function expectAlive(server: RicochetProcess, base: string) {
  const health = await rawRequest(base, { method: 'GET' });
  expect(health, server.lines.slice(-5).join('\n')).toEqual({ status: 200, body: '{"status":"ok"}' });
  expect(server.child.exitCode).toBeNull();
}

describe('one request cannot take the process down', () => {
  test('bodies that do not decode, on GET and HEAD, and over BODY_LIMIT_BYTES', async () => {
    const { server, base } = await startServer({ BODY_LIMIT_BYTES: '1024' });
    const garbage = Buffer.from('xx');
    const truncated = gzipSync(Buffer.from(JSON.stringify({ a: 'b'.repeat(5000) }))).subarray(0, 40);
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const large = Buffer.alloc(8 * 1024, 7);
    for (const encoding of ['gzip', 'deflate', 'br']) {
      for (const method of ['GET', 'HEAD', 'POST', 'DELETE']) {
        for (const body of [garbage, truncated, large, bomb]) {
          for (const chunked of [false, true]) {
            const answer = await rawRequest(base, {
              method,
              path: method === 'GET' || method === 'HEAD' ? '/healthz' : '/v2/webhooks',
              headers: { 'content-encoding': encoding, 'content-type': 'application/json' },
              body,
              chunked,
            });
            if ('status' in answer) expect(answer.status).toBeLessThan(500);
          }
        }
      }
      await expectAlive(server, base);
    }
    expect(server.lines.join('\n')).not.toMatch(/Unhandled 'error' event|Z_DATA_ERROR/);
  }, 600_000);
});

describe('deep nesting', () => {
  test(
    'is refused as the body is read, before tRPC serialises it again (a 500 once, found by fuzzing)',
    async () => {
      const { server, base } = await startServer();
      const deep = Buffer.from(`{"eventType":"X","eventData":${'['.repeat(11_723)}${']'.repeat(11_723)}}`);
      for (const path of ['/trpc/webhooks.test', '/trpc/events.publish', '/v2/events']) {
        for (const headers of [{}, { 'content-type': 'application/json' }] as Array<Record<string, string>>) {
          const answer = await rawRequest(base, { method: 'POST', path, body: deep, headers });
          // 400 when our parser read it; tRPC reads application/json itself and checks the token first.
          expect(answer, `${path} ${JSON.stringify(headers)}`).toMatchObject({
            status: expect.toBeOneOf([400, 401]),
          });
        }
      }
      await expectAlive(server, base);
    },
    START_BUDGET_MS,
  );
});

describe('the embedded database lock', () => {
  // The lock must not outlive its holder, even when the next holder gets the same pid, as PID 1
  // does in every container: unshare --pid gives each run a fresh pid namespace.
  const canUnshare = spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

  test.runIf(canUnshare)(
    'is released when its holder is killed with SIGKILL, though the pid repeats',
    async () => {
      const dir = dataDir();
      const holdDatabase = (tag: string) => {
        const script = `import { openDatabase } from './src/db/client.ts';
const db = await openDatabase({ dataDir: process.env.DIR });
process.stdout.write('open ${tag} as pid ' + process.pid + '\\n');
setInterval(() => {}, 1000);`;
        const child = spawn(
          'unshare',
          [
            '--pid',
            '--fork',
            '--kill-child',
            process.execPath,
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            script,
          ],
          { cwd: SERVER_DIR, env: { ...process.env, DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
        const opened = new Promise<string>((resolve, reject) => {
          child.stdout.on('data', () => {
            const match = /open \w+ as pid (\d+)/.exec(output);
            if (match) resolve(match[1] as string);
          });
          child.on('exit', () => reject(new Error(`exited before opening the database:\n${output}`)));
        });
        return { child, opened, exited, output: () => output };
      };
      const first = holdDatabase('first');
      expect(await first.opened).toBe('1');
      // While it lives, nobody else gets the database.
      const refused = spawnSync(process.execPath, ['bin/ricochet.mjs', 'users', 'list'], {
        cwd: SERVER_DIR,
        env: { ...process.env, RICOCHET_DATA_DIR: dir, DATABASE_URL: '' },
        encoding: 'utf8',
      });
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toMatch(
        /^The embedded database in .* is already open in another process;[^\n]*$/,
      );
      // --kill-child: SIGKILL to unshare is SIGKILL to the server inside, with no chance to clean up.
      first.child.kill('SIGKILL');
      await first.exited;
      const second = holdDatabase('second');
      try {
        expect(await second.opened, second.output()).toBe('1');
      } finally {
        second.child.kill('SIGKILL');
        await second.exited;
      }
    },
    START_BUDGET_MS * 2,
  );
});

describe('operator mistakes are one clear line, and nothing is done before the port is bound', () => {
  test(
    'a busy port: no admin created, no token printed, no stack trace',
    async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const dir = dataDir();
      try {
        const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
          cwd: SERVER_DIR,
          env: {
            ...process.env,
            PORT: String(port),
            RICOCHET_DATA_DIR: dir,
            DATABASE_URL: '',
            LOG_LEVEL: 'silent',
          },
          encoding: 'utf8',
          timeout: START_BUDGET_MS,
        });
        expect(result.status, result.stderr).toBe(1);
        expect(result.stderr.trim()).toBe(
          `Ricochet cannot listen on 127.0.0.1:${port}: the port is already in use (set PORT or HOST).`,
        );
        expect(result.stdout).not.toMatch(/API token/);
      } finally {
        blocker.close();
      }
      // The database is there (migrated), but without the admin the failed start would have created.
      const users = spawnSync(process.execPath, ['bin/ricochet.mjs', 'users', 'list'], {
        cwd: SERVER_DIR,
        env: { ...process.env, RICOCHET_DATA_DIR: dir, DATABASE_URL: '' },
        encoding: 'utf8',
      });
      expect(users.status, users.stderr).toBe(0);
      expect(JSON.parse(users.stdout)).toEqual([]);
    },
    START_BUDGET_MS,
  );

  test(
    'the CLI: an unknown user, an unreachable database, an unknown flag',
    () => {
      const cli = (args: string[], env: Record<string, string>) =>
        spawnSync(process.execPath, ['bin/ricochet.mjs', ...args], {
          cwd: SERVER_DIR,
          env: { ...process.env, ...env },
          encoding: 'utf8',
          timeout: START_BUDGET_MS,
        });
      const unknown = cli(['tokens', 'list', 'nobody'], { RICOCHET_DATA_DIR: dataDir(), DATABASE_URL: '' });
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toBe('There is no user named nobody.\n');
      const unreachable = cli(['users', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
      expect(unreachable.status).toBe(1);
      expect(unreachable.stderr).toBe(
        'ricochet: the database server cannot be reached (is DATABASE_URL right, and is PostgreSQL running?).\n',
      );
      const flag = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--bogus'], {
        cwd: SERVER_DIR,
        encoding: 'utf8',
      });
      expect(flag.status).toBe(1);
      expect(flag.stderr).toMatch(/^Unknown option '--bogus'[^\n]*\n$/);
    },
    START_BUDGET_MS,
  );
});
