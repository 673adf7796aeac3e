import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '../src/db/client.ts';
import { diffMigrationsAgainstSchema, MIGRATIONS_DIR } from '../src/db/migrate.ts';
import {
  describe,
  expect,
  freshPostgresDatabase,
  TEST_DATABASE_URL,
  TEST_DB_BACKEND,
  test,
} from './db-fixtures.ts';

type MigrationRow = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
};

async function migrationFolders(): Promise<Array<{ name: string; checksum: string }>> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  names.sort((a, b) => a.localeCompare(b));
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash('sha256')
        .update(await readFile(join(MIGRATIONS_DIR, name, 'migration.sql')))
        .digest('hex'),
    })),
  );
}

function migrationRows(db: Database): Promise<MigrationRow[]> {
  return db.prisma.$queryRawUnsafe<MigrationRow[]>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
  );
}

/** A database with nothing in it yet, on the project's backend. */
async function openEmptyDatabase(): Promise<{ db: Database; dispose(): Promise<void> }> {
  if (TEST_DB_BACKEND === 'postgres') {
    const fresh = await freshPostgresDatabase({ migrated: false });
    const db = await openDatabase({ databaseUrl: fresh.url, migrate: false });
    const dispose = async () => {
      await db.close();
      await fresh.drop();
    };
    return { db, dispose };
  }
  const db = await openDatabase({ dataDir: 'memory://', migrate: false });
  return { db, dispose: () => db.close() };
}

describe('migrations', () => {
  // The diff runs in the schema engine's WebAssembly, whatever the test database: once, in the
  // pglite project. A budget, not a speed check (21-33 s were seen on a loaded 2-core machine).
  test.runIf(TEST_DB_BACKEND === 'pglite')(
    'prisma/migrations produce exactly schema.prisma (otherwise: pnpm db:migration:create <name>)',
    async () => {
      expect(await diffMigrationsAgainstSchema()).toBe('');
    },
    600_000,
  );

  test('are recorded as prisma migrate deploy records them, and a second run applies nothing', async () => {
    const folders = await migrationFolders();
    expect(folders.length).toBeGreaterThan(0);
    const { db, dispose } = await openEmptyDatabase();
    try {
      expect(await db.migrate()).toEqual(folders.map((folder) => folder.name));
      expect(await db.migrate()).toEqual([]);
      const rows = await migrationRows(db);
      expect(rows).toEqual(
        folders.map((folder) => ({
          migration_name: folder.name,
          checksum: folder.checksum,
          finished_at: expect.any(Date),
          rolled_back_at: null,
          logs: null,
          applied_steps_count: 1,
        })),
      );
    } finally {
      await dispose();
    }
  });

  test('the db fixture is already migrated', async ({ db }) => {
    expect(await db.migrate()).toEqual([]);
    expect((await migrationRows(db)).map((row) => row.migration_name)).toEqual(
      (await migrationFolders()).map((folder) => folder.name),
    );
  });
});

describe('the db fixture gives every test an empty database of its own', () => {
  // Each test checks it starts empty and then writes, so whichever runs second sees the
  // other's write if the databases were shared.
  for (const username of ['isolation-a', 'isolation-b']) {
    test(`writes of one test are invisible to the other (${username})`, async ({ db }) => {
      expect(db.kind).toBe(TEST_DB_BACKEND);
      expect(await db.prisma.user.count()).toBe(0);
      await db.prisma.user.create({ data: { id: username, username } });
      expect(await db.prisma.user.count()).toBe(1);
    });
  }
});

describe('listen', () => {
  test('delivers a NOTIFY once its transaction commits, until unlistened', async ({ db }) => {
    const payloads: string[] = [];
    let arrived: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // Mixed case on purpose: the name is matched exactly, as pg_notify() spells it.
    const unlisten = await db.listen('ricochet_test_Channel', (payload) => {
      payloads.push(payload);
      arrived();
    });
    await db.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_notify('ricochet_test_Channel', 'hello')`;
    });
    await first;
    await unlisten();
    await db.prisma.$executeRaw`SELECT pg_notify('ricochet_test_Channel', 'after')`;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(payloads).toEqual(['hello']);
  });
});

describe.runIf(TEST_DB_BACKEND === 'pglite')('the embedded database', () => {
  test('refuses a second opener of the same folder instead of letting both corrupt it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ricochet-pglite-'));
    try {
      const db = await openDatabase({ dataDir });
      try {
        await expect(openDatabase({ dataDir })).rejects.toThrow(/already open in this process/);
      } finally {
        await db.close();
      }
      const reopened = await openDatabase({ dataDir });
      expect(await reopened.migrate()).toEqual([]);
      await reopened.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

function runMigrateCli(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', 'src/db/migrate-cli.ts'], {
      cwd: SERVER_DIR,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe.runIf(TEST_DB_BACKEND === 'postgres' && TEST_DATABASE_URL)(
  'migrations on a shared PostgreSQL',
  () => {
    test('processes that start at once apply each migration once', async () => {
      const fresh = await freshPostgresDatabase({ migrated: false });
      try {
        const runs = await Promise.all([1, 2, 3].map(() => runMigrateCli(fresh.url)));
        for (const run of runs) expect(run, run.output).toMatchObject({ code: 0 });
        expect(runs.filter((run) => run.output.includes('Applied to'))).toHaveLength(1);
        const db = await openDatabase({ databaseUrl: fresh.url, migrate: false });
        try {
          expect((await migrationRows(db)).map((row) => row.migration_name)).toEqual(
            (await migrationFolders()).map((folder) => folder.name),
          );
        } finally {
          await db.close();
        }
      } finally {
        await fresh.drop();
      }
    });
  },
);
