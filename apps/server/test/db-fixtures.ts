import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { test as base, inject } from 'vitest';
import { type Database, openDatabase } from '../src/db/client.ts';
import { applyMigrations, applyMigrationsToPostgres, pgliteMigrationAdapter } from '../src/db/migrate.ts';

export type TestDbBackend = 'pglite' | 'postgres';

/** Chosen per vitest project (vitest.config.ts); pglite when run without the projects. */
export const TEST_DB_BACKEND: TestDbBackend =
  process.env.RICOCHET_TEST_DB === 'postgres' ? 'postgres' : 'pglite';

/** The PostgreSQL server for tests, or undefined when TEST_DATABASE_URL is not set. */
export const TEST_DATABASE_URL: string | undefined = process.env.TEST_DATABASE_URL || undefined;

/**
 * `db`: a fresh, migrated, empty database of its own for every test that asks for it, closed (and
 * on PostgreSQL dropped) afterwards. The backend follows RICOCHET_TEST_DB.
 */
export const test = base.extend<{ db: Database }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern.
  db: async ({}, use) => {
    if (TEST_DB_BACKEND === 'postgres') {
      const fresh = await freshPostgresDatabase();
      const db = await openDatabase({ databaseUrl: fresh.url, migrate: false });
      try {
        await use(db);
      } finally {
        await db.close();
        await fresh.drop();
      }
    } else {
      const db = await openDatabase({
        dataDir: 'memory://',
        loadDataDir: await pgliteTemplate(),
        migrate: false,
      });
      try {
        await use(db);
      } finally {
        await db.close();
      }
    }
  },
});

export { describe, expect } from 'vitest';

export type FreshPostgresDatabase = { name: string; url: string; drop(): Promise<void> };

/**
 * A new database on TEST_DATABASE_URL's server, for tests that run several processes against one
 * PostgreSQL database (the `db` fixture's pool is in the test's process). Migrated unless
 * `migrated: false`. Call drop() when done; the run's teardown drops any left over.
 */
export async function freshPostgresDatabase(
  options: { migrated?: boolean } = {},
): Promise<FreshPostgresDatabase> {
  if (!TEST_DATABASE_URL)
    throw new Error('Set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  const migrated = options.migrated ?? true;
  const name = `${dbPrefix()}${process.pid}_${++databaseCounter}`;
  const template = inject('ricochetPostgresTemplate');
  const useTemplate = migrated && template;
  await adminPool().query(`CREATE DATABASE "${name}"${useTemplate ? ` TEMPLATE "${template}"` : ''}`);
  const url = databaseUrl(TEST_DATABASE_URL, name);
  const drop = () =>
    adminPool()
      .query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      .then(() => {});
  if (migrated && !useTemplate) {
    try {
      await applyMigrationsToPostgres(url);
    } catch (error) {
      await drop();
      throw error;
    }
  }
  return { name, url, drop };
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

let databaseCounter = 0;
let fallbackPrefix: string | undefined;

function dbPrefix(): string {
  // Without the run's globalSetup (a test file run with another config) the names still differ.
  fallbackPrefix ??= `ricochet_test_${randomBytes(4).toString('hex')}_`;
  return inject('ricochetTestDbPrefix') ?? fallbackPrefix;
}

let admin: pg.Pool | undefined;

function adminPool(): pg.Pool {
  if (!admin) {
    // allowExitOnIdle: this pool lives as long as the worker and must not keep it from exiting.
    admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2, allowExitOnIdle: true });
    admin.on('error', () => {});
  }
  return admin;
}

let pgliteTemplateDump: Promise<Blob> | undefined;

/** The migrated PGlite template: the run's dump (globalSetup) or, without it, one made here. */
function pgliteTemplate(): Promise<Blob> {
  pgliteTemplateDump ??= (async () => {
    const file = inject('ricochetPgliteTemplate');
    if (file) return new Blob([await readFile(file)]);
    const pglite = await PGlite.create();
    try {
      await applyMigrations(pgliteMigrationAdapter(pglite));
      return await pglite.dumpDataDir('none');
    } finally {
      await pglite.close();
    }
  })();
  return pgliteTemplateDump;
}
