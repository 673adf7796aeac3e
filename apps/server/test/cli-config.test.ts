import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { ensureAdmin } from '../src/bootstrap.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { authenticateToken } from '../src/services/tokens.ts';
import { test as dbTest, TEST_DB_BACKEND } from './db-fixtures.ts';

// Configuration and the CLI do not depend on the test database: run them once, in the pglite project.
const onceOnly = TEST_DB_BACKEND === 'postgres';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

describe.skipIf(onceOnly)('configuration', () => {
  test('defaults need no variable at all', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 8787,
      RICOCHET_DATA_DIR: '.ricochet-data',
      RATE_LIMIT_MAX: 300,
    });
  });

  test('a bad variable stops start-up with a message naming it', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x' })).toThrowError(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x' })).toThrowError(
      /PORT: .*\n\s+DATABASE_URL: must be a postgres/,
    );
    expect(() => loadConfig({ RICOCHET_ADMIN_TOKEN: 'short' })).toThrowError(
      /RICOCHET_ADMIN_TOKEN: must be at least 16/,
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: SERVER_DIR,
      env: { ...process.env, PORT: '99999' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Invalid configuration:\n\s+PORT: /);
  });
});

describe('first admin', () => {
  const logger = pino({ level: 'silent' });

  dbTest('a fresh install takes RICOCHET_ADMIN_TOKEN as the first admin token', async ({ db }) => {
    const config = loadConfig({ RICOCHET_ADMIN_TOKEN: 'operator-chosen-token-123' });
    await ensureAdmin(db.prisma, config, logger);
    const principal = await authenticateToken(db.prisma, 'operator-chosen-token-123');
    expect(principal).toMatchObject({ isAdmin: true, scope: 'FULL' });
    // Starting again changes nothing; a new value is added to the first admin, so the variable always works.
    await ensureAdmin(db.prisma, config, logger);
    expect(await db.prisma.user.count()).toBe(1);
    await ensureAdmin(db.prisma, loadConfig({ RICOCHET_ADMIN_TOKEN: 'rotated-operator-token-456' }), logger);
    expect((await authenticateToken(db.prisma, 'rotated-operator-token-456'))?.userId).toBe(
      principal?.userId,
    );
    expect(await db.prisma.user.count()).toBe(1);
    // The token is the operator's, named so in the token list.
    expect((await db.prisma.apiToken.findMany()).map((token) => token.name)).toEqual([
      'RICOCHET_ADMIN_TOKEN',
      'RICOCHET_ADMIN_TOKEN',
    ]);
  });

  dbTest(
    'without RICOCHET_ADMIN_TOKEN the first admin gets no token nobody would ever see',
    async ({ db }) => {
      await ensureAdmin(db.prisma, loadConfig({}), logger);
      expect(await db.prisma.user.count()).toBe(1);
      // The setup link signs them in; tokens are made when asked for (dashboard, API, CLI).
      expect(await db.prisma.apiToken.count()).toBe(0);
    },
  );
});

describe.skipIf(onceOnly)('CLI', () => {
  test('creates users and tokens, lists and revokes them, on the embedded database', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-cli-'));
    const cli = (...args: string[]) => {
      const input = args[1] === 'set-password' ? args.pop() : undefined;
      const result = spawnSync(process.execPath, ['bin/ricochet.mjs', ...args], {
        cwd: SERVER_DIR,
        env: { ...process.env, RICOCHET_DATA_DIR: dataDir, DATABASE_URL: '' },
        encoding: 'utf8',
        ...(input !== undefined && { input }),
      });
      return { status: result.status, out: result.stdout, err: result.stderr };
    };
    try {
      const created = cli('users', 'create', 'bob');
      expect(created.status, created.err).toBe(0);
      const { user, token } = JSON.parse(created.out);
      expect(user.username).toBe('bob');
      expect(token.token).toMatch(/^ricochet_api_/);

      const readOnly = JSON.parse(cli('tokens', 'create', 'bob', '--name', 'grafana', '--read-only').out);
      expect(readOnly).toMatchObject({ name: 'grafana', scope: 'READ_ONLY' });
      const listed = JSON.parse(cli('tokens', 'list', 'bob').out);
      expect(listed.map((t: { name: string }) => t.name)).toEqual(['default', 'grafana']);
      expect(cli('tokens', 'revoke', 'bob', readOnly.id).status).toBe(0);
      expect(JSON.parse(cli('tokens', 'list', 'bob').out)).toHaveLength(1);

      const unknown = cli('tokens', 'list', 'nobody');
      expect(unknown.status).toBe(1);
      expect(unknown.err).toMatch(/There is no user named nobody/);
      expect(cli('users', 'create', 'X!').err).toMatch(/username/);

      // The dashboard password comes from stdin, never from the command line.
      expect(cli('users', 'set-password', 'bob', 'short\n').err).toMatch(/password: must be at least 10/);
      const set = cli('users', 'set-password', 'bob', 'a long enough password\n');
      expect(set.status, set.err).toBe(0);
      expect(JSON.parse(set.out)).toEqual({ passwordSet: 'bob' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // A budget, not a speed check: six CLI processes each start tsx and open PGlite (46-82 s in
    // all were seen on a loaded 2-core machine).
  }, 600_000);
});
