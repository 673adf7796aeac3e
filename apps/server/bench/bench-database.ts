import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../src/db/client.ts';

/**
 * A fresh, migrated database for a benchmark: in-memory PGlite, or a new database on the
 * TEST_DATABASE_URL server. `closers` gets what closes (and drops) it.
 */
export async function benchDatabase(
  kind: 'pglite' | 'postgres',
  closers: Array<() => Promise<void>>,
): Promise<Database> {
  if (kind === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://' });
    closers.push(() => db.close());
    return db;
  }
  const serverUrl = process.env.TEST_DATABASE_URL as string;
  const name = `ricochet_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: serverUrl, max: 1 });
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString() });
  closers.push(async () => {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });
  return db;
}
