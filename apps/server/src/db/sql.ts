import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { PrismaClient } from '../generated/prisma/client.ts';

/**
 * Plain SQL on the database's own driver, for the hot paths (publish, claim, record, the token
 * lookup of every request). Prisma stays for everything else, but each of its queries costs
 * about 1.5 ms of client-side work here (raw or not: measured 1.8 ms for `SELECT 1` against
 * 0.17 ms through pg on this project's machine), more than the statements themselves.
 *
 * Parameters are `$1, $2, ...`; values are strings, numbers, booleans, null or arrays of those.
 * A hot statement of fixed text passes a `name`: on PostgreSQL it is then prepared once per
 * connection, so the server parses it once instead of on every call (about a third of the
 * server's work for the publish statement). Names must be unique per text and texts fixed (no
 * text built from input), since each connection keeps every statement it prepared.
 * Timestamp columns come back as Dates read as UTC (Prisma stores DateTime as UTC in
 * `timestamp(3)` columns), whatever the process's time zone.
 */
export type Sql = {
  /** Which driver: PGlite runs one statement at a time, on this process's thread. */
  backend: 'postgres' | 'pglite' | 'prisma';
  query<Row>(text: string, params?: unknown[], name?: string): Promise<Row[]>;
  /**
   * Runs `work` in one transaction on one connection (READ COMMITTED: each statement sees what
   * committed before it began), committed when it resolves, rolled back when it throws.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
};

/**
 * A statement name for a text assembled from a fixed set of pieces (a list whose filters each add a
 * condition, never a value): one name per distinct text, so such a statement is prepared once per
 * connection too. Only for texts drawn from a small, bounded set; a connection keeps every one.
 */
export function preparedName(prefix: string, text: string): string {
  return `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}

const TIMESTAMP_OID = 1114;
const parseUtcTimestamp = (value: string) => new Date(`${value.replace(' ', 'T')}Z`);

export function postgresSql(pool: pg.Pool): Sql {
  const types: pg.CustomTypesConfig = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === TIMESTAMP_OID
        ? parseUtcTimestamp
        : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  };
  const on = (client: pg.Pool | pg.PoolClient): Sql['query'] =>
    async function query<Row>(text: string, params: unknown[] = [], name?: string) {
      const result = await client.query({ text, values: params, types, ...(name && { name }) });
      return result.rows as Row[];
    };
  const sql: Sql = {
    backend: 'postgres',
    query: on(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ ...sql, query: on(client) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
  return sql;
}

export function pgliteSql(pglite: PGlite): Sql {
  const parsers = { [TIMESTAMP_OID]: parseUtcTimestamp };
  // PGlite runs in this process and offers no named statements; it parses every time.
  const sql: Sql = {
    backend: 'pglite',
    async query<Row>(text: string, params: unknown[] = []) {
      const result = await pglite.query<Row>(text, params, { parsers });
      return result.rows;
    },
    transaction: (work) =>
      pglite.transaction((tx) =>
        work({
          ...sql,
          async query<Row>(text: string, params: unknown[] = []) {
            return (await tx.query<Row>(text, params, { parsers })).rows;
          },
        }),
      ),
  };
  return sql;
}

const drivers = new WeakMap<PrismaClient, Sql>();

/** Registers the driver under the Prisma client of the same database (openDatabase does it). */
export function attachSql(prisma: PrismaClient, sql: Sql): void {
  drivers.set(prisma, sql);
}

/**
 * The driver of the database a Prisma client talks to, so services that receive `prisma` reach
 * the same database (and pool) without another parameter. A client opened elsewhere falls back
 * to Prisma's raw queries: the same results, at Prisma's cost.
 */
const viaPrisma =
  (client: Pick<PrismaClient, '$queryRawUnsafe'>): Sql['query'] =>
  (text, params = []) =>
    client.$queryRawUnsafe(text, ...params);

/**
 * Plain SQL inside a Prisma interactive transaction (`prisma.$transaction(async (tx) => ...)`), so
 * a statement of queue/ can commit together with Prisma's writes (an action and the operational
 * event it emits). Not for hot paths: each statement costs Prisma's per-query time.
 */
export function sqlInPrismaTransaction(tx: Pick<PrismaClient, '$queryRawUnsafe'>): Sql {
  return {
    backend: 'prisma',
    query: viaPrisma(tx),
    transaction: (work) => work(sqlInPrismaTransaction(tx)),
  };
}

export function sqlFor(prisma: PrismaClient): Sql {
  let sql = drivers.get(prisma);
  if (!sql) {
    const fallback: Sql = {
      backend: 'prisma',
      query: viaPrisma(prisma),
      transaction: (work) => prisma.$transaction((tx) => work({ ...fallback, query: viaPrisma(tx) })),
    };
    sql = fallback;
    drivers.set(prisma, sql);
  }
  return sql;
}

/** SQL: what the database's clock says now, as the timestamp(3) columns store it (UTC). */
export const NOW = `timezone('UTC', now())`;
