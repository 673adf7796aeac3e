import type pg from 'pg';
import { closedLoop, poster, waitUntil } from '../lib/load.ts';
import { stop, waitForListeners } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { log, record } from '../lib/results.ts';
import type { BenchSystem } from '../lib/systems.ts';

/** The tables a delivery leaves rows in for good, and the queue it passes through. */
export const HISTORY_TABLES = ['Event', 'Dispatch', 'DispatchCall'] as const;
const TABLES = [...HISTORY_TABLES, 'DispatchQueue'] as const;

/**
 * An Apify ACTOR.RUN.SUCCEEDED event of about 250 bytes of JSON (eventData and resource), the size
 * the issue measured with.
 */
export function storageEvent(index: number): string {
  return JSON.stringify({
    eventType: 'ACTOR.RUN.SUCCEEDED',
    eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: `run${String(index).padStart(14, '0')}` },
    resource: {
      id: `run${String(index).padStart(14, '0')}`,
      actId: 'hksJZtadYvn4mBuin',
      status: 'SUCCEEDED',
      startedAt: '2026-12-02T10:00:00.000Z',
      finishedAt: '2026-12-02T10:00:05.000Z',
      defaultDatasetId: 'wmKPijuyDnPZAPRMk',
      defaultKeyValueStoreId: 'WkzbQMuFYuamGv3YF',
    },
  });
}

type Sizes = Record<string, { table: number; indexes: number; rows: number; indexCount: number }>;

async function sizes(pool: pg.Pool): Promise<Sizes> {
  const result: Sizes = {};
  for (const table of TABLES) {
    // pg_table_size: the heap with its TOAST, free space and visibility maps; indexes apart.
    // Through the parent's partitions too, once the history tables are partitioned.
    const { rows } = await pool.query(
      `WITH parts AS (
        SELECT c.oid FROM pg_class c WHERE c.oid = $1::regclass
        UNION ALL SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = $1::regclass
      )
      SELECT COALESCE(sum(pg_table_size(oid)), 0)::bigint AS "table",
        COALESCE(sum(pg_indexes_size(oid)), 0)::bigint AS "indexes",
        (SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass)::int AS "indexCount"
      FROM parts`,
      [`"${table}"`],
    );
    const { rows: counted } = await pool.query(`SELECT count(*)::int AS n FROM "${table}"`);
    result[table] = {
      table: Number(rows[0].table),
      indexes: Number(rows[0].indexes),
      indexCount: rows[0].indexCount,
      rows: counted[0].n,
    };
  }
  return result;
}

/**
 * Bytes per delivery: events of about 250 bytes published through the API to one webhook (with a
 * secret), then to 10 (`deliveries` deliveries each time), each delivered once (the receiver answers 204), then what the tables grew
 * by, per delivery: each history table's heap (TOAST included) and its indexes, from
 * pg_table_size / pg_indexes_size before and after. The queue's growth is reported apart: its rows
 * are deleted as dispatches finish and the space is reused. Also: the B-tree entries each delivery
 * leaves in the history tables' indexes (rows × indexes, per delivery).
 */
export async function storage(
  system: BenchSystem,
  receiver: BenchReceiver,
  options: { deliveries: number },
): Promise<void> {
  for (const fanout of [1, 10]) await storageAt(system, receiver, options.deliveries, fanout);
}

/** One run of storage(): `deliveries` deliveries of events to `fanout` webhooks each. */
async function storageAt(
  system: BenchSystem,
  receiver: BenchReceiver,
  deliveries: number,
  fanout: number,
): Promise<void> {
  if (!system.startApi) return;
  const events = Math.ceil(deliveries / fanout);
  const at = fanout === 1 ? '' : ` (fan-out ${fanout})`;
  await system.reset(receiver.url, fanout);
  await system.pool.query('VACUUM ANALYZE');
  const before = await sizes(system.pool);
  const worker = await system.startWorker();
  await waitForListeners(system.pool, 1);
  const api = await system.startApi();
  const client = poster(api.baseUrl, 8, '/v2/events', system.token);
  let next = 0;
  await closedLoop({
    concurrency: 8,
    durationMs: 300_000,
    maxCalls: events,
    call: () => client.post(storageEvent(next++)),
  });
  const done = await waitUntil(async () => (await system.delivered()) >= events * fanout, 120_000, 100);
  await client.close();
  await stop(api.proc, worker);
  if (!done) log(`bytes per delivery${at}: only ${await system.delivered()} of ${events * fanout} delivered`);
  const after = await sizes(system.pool);
  const n = events * fanout;
  let total = 0;
  let entries = 0;
  for (const table of HISTORY_TABLES) {
    const grownTable = ((after[table]?.table ?? 0) - (before[table]?.table ?? 0)) / n;
    const grownIndexes = ((after[table]?.indexes ?? 0) - (before[table]?.indexes ?? 0)) / n;
    record(`bytes per delivery${at} ${table} table`, grownTable);
    record(`bytes per delivery${at} ${table} indexes`, grownIndexes);
    total += grownTable + grownIndexes;
    entries += ((after[table]?.rows ?? 0) * (after[table]?.indexCount ?? 0)) / n;
  }
  record(`bytes per delivery${at} total`, total);
  record(`index entries per delivery${at} (history)`, entries);
  const queue = after.DispatchQueue;
  record(
    `bytes per delivery${at} DispatchQueue (reused space)`,
    ((queue?.table ?? 0) +
      (queue?.indexes ?? 0) -
      (before.DispatchQueue?.table ?? 0) -
      (before.DispatchQueue?.indexes ?? 0)) /
      n,
  );
  // What one call row holds, column by column (averages), to see where the bytes go.
  const { rows } = await system.pool.query(
    `SELECT avg(pg_column_size(c.*))::int AS "row", avg(COALESCE(pg_column_size(c."requestHeaders"), 0))::int AS "requestHeaders",
      avg(COALESCE(pg_column_size(c."requestBody"), 0))::int AS "requestBody",
      avg(COALESCE(pg_column_size(c."responseHeaders"), 0))::int AS "responseHeaders"
    FROM "DispatchCall" c`,
  );
  log(`bytes per delivery${at}: an average call row ${JSON.stringify(rows[0])}`);
  for (const table of HISTORY_TABLES)
    log(`bytes per delivery${at}: ${table} columns ${JSON.stringify(await columnSizes(system.pool, table))}`);
}

/** Each column's average stored size in a history table (pg_column_size), to see where a row's bytes go. */
async function columnSizes(pool: pg.Pool, table: string): Promise<Record<string, number>> {
  const { rows: columns } = await pool.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`"${table}"`],
  );
  const select = columns
    .map(({ name }, i) => `avg(COALESCE(pg_column_size(t."${name}"), 0))::int AS c${i}`)
    .join(', ');
  const { rows } = await pool.query(
    `SELECT avg(pg_column_size(t.*))::int AS "row", ${select} FROM "${table}" t`,
  );
  const result: Record<string, number> = { row: rows[0].row };
  columns.forEach(({ name }, i) => {
    result[name] = rows[0][`c${i}`];
  });
  return result;
}
