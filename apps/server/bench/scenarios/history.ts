import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { openDatabase } from '../../src/db/client.ts';
import { deliveryHistogram, listDispatchLog, listEventLog } from '../../src/services/delivery-stats.ts';
import { getDispatchDetail, listDispatches } from '../../src/services/dispatches.ts';
import { getWebhook } from '../../src/services/webhooks.ts';
import { closedLoop, poster, waitUntil } from '../lib/load.ts';
import { stop, waitForListeners } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { log, record } from '../lib/results.ts';
import type { BenchSystem } from '../lib/systems.ts';
import { storageEvent } from './storage.ts';

export type HistoryOptions = {
  /** Finished dispatches loaded (each with its event and one call). */
  rows: number;
  /** Spread over the last this many days. */
  days: number;
  /** Events of the drained backlog. */
  drainEvents: number;
  windowMs: number;
  /** How long each dashboard query is repeated. */
  queryMs: number;
};

/** Tenants the history belongs to, one webhook each (the measured tenant, benchUser, is another). */
const HISTORY_TENANTS = 1_000;
/**
 * Event i's eventData and resource in SQL: about 250 bytes of JSON, as bench/scenarios/storage.ts
 * publishes, for the history and the measured tenant's backlogs alike (rows of one size: smaller
 * rows would fill the gaps the history's pages leave, one row per page).
 */
const EVENT_DATA = `jsonb_build_object('actorId', 'hksJZtadYvn4mBuin', 'actorRunId', 'run' || lpad(i::text, 14, '0'))`;
const EVENT_RESOURCE = `jsonb_build_object('id', 'run' || lpad(i::text, 14, '0'), 'actId', 'hksJZtadYvn4mBuin', 'status', 'SUCCEEDED',
  'startedAt', '2026-12-02T10:00:00.000Z', 'finishedAt', '2026-12-02T10:00:05.000Z',
  'defaultDatasetId', 'wmKPijuyDnPZAPRMk', 'defaultKeyValueStoreId', 'WkzbQMuFYuamGv3YF')`;
/** Rows per INSERT statement while loading, so each statement's memory and WAL stay bounded. */
const CHUNK = 1_000_000;
const USER = 'benchUser';
const WEBHOOK = 'benchWebhook1';

/**
 * The history, generated in SQL through the tables' own names (partitioned or not): `rows` finished
 * dispatches of HISTORY_TENANTS other tenants, evenly spread over the last `days` days, each with its
 * event (about 250 bytes of data, as bench/scenarios/storage.ts publishes) and one call stored as the
 * worker stores it (compact request: timestamp and two signatures; the response's headers). 95 %
 * succeeded, 5 % failed. A table partitioned by time that has no partition for a row's day refuses it
 * (23514): the chunk is then loaded within the last hour instead, and the run says so.
 */
async function loadHistory(pool: pg.Pool, rows: number, days: number): Promise<void> {
  const t0 = performance.now();
  await pool.query(
    `INSERT INTO "User" ("id", "username") SELECT 'hu' || u, 'history-' || u FROM generate_series(1, $1::int) u`,
    [HISTORY_TENANTS],
  );
  await pool.query(
    `INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl", "hostKey")
     SELECT 'hw' || u, 'hu' || u, ARRAY['ACTOR.RUN.SUCCEEDED'], 'https://tenant' || u || '.example.com/hook', 'tenant' || u || '.example.com:443'
     FROM generate_series(1, $1::int) u`,
    [HISTORY_TENANTS],
  );
  let spread = `${days} days`;
  for (let from = 1; from <= rows; from += CHUNK) {
    const to = Math.min(rows, from + CHUNK - 1);
    // Row i: tenant i % T + 1, at a time evenly spread from `spread` ago to now, ids as random as
    // made from the row number (md5: they sort before the server's time-led ids).
    const statement = (interval: string) => `WITH g AS (
        SELECT i, 'hu' || (i % ${HISTORY_TENANTS} + 1) AS "userId", 'hw' || (i % ${HISTORY_TENANTS} + 1) AS "webhookId",
          'e' || substr(md5('e' || i), 1, 16) AS "eventId", 'd' || substr(md5('d' || i), 1, 16) AS "dispatchId",
          timezone('UTC', now()) - interval '${interval}' * (1 - i::float8 / ${rows}) AS "at"
        FROM generate_series(${from}, ${to}) i
      ), events AS (
        INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "dispatchCount", "createdAt")
        SELECT "eventId", "userId", 'ACTOR.RUN.SUCCEEDED',
          ${EVENT_DATA}, ${EVENT_RESOURCE}, 1, "at" FROM g
      ), dispatches AS (
        INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount", "createdAt", "finishedAt")
        SELECT "dispatchId", "userId", "webhookId", "eventId", 'ACTOR.RUN.SUCCEEDED',
          (CASE WHEN i % 20 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END)::"DispatchStatus", 1, "at", "at" + interval '150 milliseconds'
        FROM g
      )
      INSERT INTO "DispatchCall" ("dispatchId", "attempt", "webhookId", "startedAt", "finishedAt", "outcome", "responseStatus",
        "responseBody", "requestUrl", "responseHeaders", "requestTimestamp", "requestSignatures")
      SELECT "dispatchId", 1, "webhookId", "at" + interval '100 milliseconds', "at" + interval '150 milliseconds',
        CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'succeeded' END, CASE WHEN i % 20 = 0 THEN 500 ELSE 200 END,
        '', 'https://tenant' || (i % ${HISTORY_TENANTS} + 1) || '.example.com/hook',
        json_build_object('date', 'Wed, 02 Dec 2026 10:00:00 GMT', 'connection', 'keep-alive', 'keep-alive', 'timeout=5', 'content-length', '0'),
        -- Which secret signed, as the worker stores it (a marker byte, 4 bytes of the HMAC).
        extract(epoch FROM "at")::int, decode('01' || substr(md5('s' || i), 1, 8), 'hex')
      FROM g`;
    try {
      await pool.query(statement(spread));
    } catch (error) {
      if ((error as { code?: string }).code !== '23514' || spread === '1 hour') throw error;
      log(`history: a row ${spread} old has no partition; loading within the last hour instead`);
      spread = '1 hour';
      await pool.query(statement(spread));
    }
    log(
      `history: ${to.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} rows loaded (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  await pool.query('VACUUM ANALYZE "Event", "Dispatch", "DispatchCall", "User", "Webhook"');
  // The load's dirty pages written out now, not by the checkpointer while the figures are taken: a
  // database with this history in use has it on disk already.
  await pool.query('CHECKPOINT');
  const seconds = (performance.now() - t0) / 1000;
  record(`history load seconds (${rows.toLocaleString('en-US')} rows)`, seconds);
}

/** Finished dispatches of the measured tenant that succeeded (an index range, not a count of the history). */
async function deliveredOfUser(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM "Dispatch" WHERE "userId" = $1 AND "status" = 'SUCCEEDED'`,
    [USER],
  );
  return rows[0].n;
}

/**
 * `events` events of the measured tenant with a READY dispatch each to its webhook, committed at
 * once (the ids tagged, so backlogs can follow each other). Returns the dispatches.
 */
async function userBacklog(pool: pg.Pool, events: number, tag: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query(
      `WITH e AS (
        INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "dispatchCount", "createdAt")
        SELECT 'ev' || $2 || '_' || i, $3, 'ACTOR.RUN.SUCCEEDED', ${EVENT_DATA}, ${EVENT_RESOURCE}, 1,
          -- A millisecond apart, the last one now: a backlog published over time, as the API
          -- stores it (events published together share a createdAt, and a list page reads the
          -- whole tie: one transaction's 5,000 events would make every page read 5,000 rows).
          timezone('UTC', now()) - ($1::int - i) * interval '1 millisecond'
        FROM generate_series(1, $1::int) i
        RETURNING "id", "userId", "eventType", "createdAt"
      )
      INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "createdAt", "runAt", "state", "fairKey")
      SELECT ricochet_record_id(), e."userId", $4, e."id", e."eventType", e."createdAt", e."createdAt", 'READY',
        row_number() OVER (ORDER BY e."id")
      FROM e`,
      [events, tag, USER, WEBHOOK],
    );
    await client.query(`SELECT pg_notify('ricochet_dispatches', '')`);
    await client.query('COMMIT');
    return rowCount ?? 0;
  } finally {
    client.release();
  }
}

/** `calls` per second of one query repeated back to back for `ms`. */
async function rate(ms: number, query: () => Promise<unknown>): Promise<number> {
  for (let index = 0; index < 5; index++) await query();
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < ms) {
    await query();
    calls++;
  }
  return (calls / (performance.now() - t0)) * 1000;
}

/** The figures of one database (keyed by HISTORY_FIGURES). */
async function measure(
  system: BenchSystem,
  receiver: BenchReceiver,
  options: HistoryOptions,
  tag: string,
): Promise<Record<string, number>> {
  const { pool } = system;
  const figures: Record<string, number> = {};
  // Claiming: a backlog drained by one worker, after a warm-up backlog.
  const worker = await system.startWorker();
  await waitForListeners(pool, 1);
  for (const [events, timed] of [
    [2_000, false],
    [options.drainEvents, true],
  ] as const) {
    const already = await deliveredOfUser(pool);
    await receiver.reset();
    const total = await userBacklog(pool, events, `${tag}${timed ? 'drain' : 'warm'}`);
    const t0 = performance.now();
    const received = await waitUntil(async () => (await receiver.stats()).received >= total, 180_000, 20);
    const finished =
      received && (await waitUntil(async () => (await deliveredOfUser(pool)) >= already + total, 60_000, 10));
    if (timed)
      figures['drain deliveries/s'] = finished ? total / ((performance.now() - t0) / 1000) : Number.NaN;
  }
  await stop(worker);

  // The dashboard's pages of the measured tenant, each query back to back on one connection.
  const db = await openDatabase({ databaseUrl: system.url, migrate: false, poolSize: 2 });
  try {
    const prisma = db.prisma;
    const [newest] = await prisma.dispatch.findMany({
      where: { userId: USER },
      orderBy: { createdAt: 'desc' },
      take: 1,
      select: { id: true },
    });
    const queries: Array<[string, () => Promise<unknown>]> = [
      [
        'dispatch log, first page',
        () => listDispatchLog(prisma, { userId: USER, query: { offset: 0, limit: 20 } }),
      ],
      [
        "a webhook's page (webhook, 24 h chart, its dispatch log)",
        () =>
          Promise.all([
            getWebhook(prisma, { userId: USER, webhookId: WEBHOOK }),
            deliveryHistogram(prisma, { userId: USER, webhookId: WEBHOOK, hours: 24 }),
            listDispatchLog(prisma, { userId: USER, query: { webhookId: WEBHOOK, offset: 0, limit: 20 } }),
          ]),
      ],
      ['events page', () => listEventLog(prisma, { userId: USER, offset: 0, limit: 20 })],
      [
        'a dispatch page (calls rebuilt)',
        () => getDispatchDetail(prisma, { userId: USER, dispatchId: newest?.id ?? '' }),
      ],
      [
        'GET /v2/webhook-dispatches?desc=1 (100)',
        () => listDispatches(prisma, { userId: USER, query: { offset: 0, limit: 100, desc: true } }),
      ],
    ];
    for (const [name, query] of queries) {
      figures[`${name} per s`] = await rate(options.queryMs, query);
    }
  } finally {
    await db.close();
  }

  // Publishing (fan-out 1, nothing delivering), 32 publishers, of events the history's size: in
  // production the history is made of what is published. Smaller ones would each fill a gap the
  // history's vacuumed pages left, one page (and one full-page image in the WAL) per event
  // (README, "Production": wal_compression).
  if (system.startApi) {
    const api = await system.startApi();
    const client = poster(api.baseUrl, 32, '/v2/events', system.token);
    let published = 0;
    for (let index = 0; index < 50; index++) await client.post(storageEvent(published++));
    const run = await closedLoop({
      concurrency: 32,
      durationMs: options.windowMs,
      call: () => client.post(storageEvent(published++)),
    });
    figures['publish events/s'] = (run.ok / run.elapsedMs) * 1000;
    await client.close();
    await stop(api.proc);
    // Nothing was delivering: the next turn's drain must not deliver these too.
    await pool.query(`DELETE FROM "DispatchQueue" WHERE "userId" = $1`, [USER]);
  }
  await settle(pool);
  return figures;
}

/**
 * What a measurement leaves behind, cleaned up before the next one starts: the queue's dead rows
 * vacuumed and every dirty page written out. Left to autovacuum and the checkpointer, they ran
 * during the next measurement, of the other database as often as not: in a run without this, the
 * database measured first in each turn drained 40-60 % slower than the one after it, whichever it
 * was (5 of 5 turns), and the per-turn ratios swung from 0.3 to 2.3.
 */
async function settle(pool: pg.Pool): Promise<void> {
  await pool.query('VACUUM (ANALYZE) "DispatchQueue", "Event", "Dispatch", "DispatchCall"');
  await pool.query('CHECKPOINT');
}

/**
 * Cost against history (issue 17): the claim (drain) rate, the publish rate and the dashboard's
 * queries of one tenant, on a database with no history (`empty`) and on one with `rows` finished
 * dispatches (with their events and calls) of other tenants (`loaded`), in the same run. The two
 * are measured in turn, `repetitions` times (empty, loaded, loaded, empty, ...), so both see the machine
 * as it is then; each repetition's loaded / empty is recorded, and their median is the ratio (on a
 * shared 2-core machine one state measured after the other differed by a third either way).
 */
export async function history(
  empty: BenchSystem,
  loaded: BenchSystem,
  receiver: BenchReceiver,
  options: HistoryOptions & { repetitions: number },
): Promise<void> {
  await empty.reset(receiver.url, 1);
  await loaded.reset(receiver.url, 1);
  log(
    `history: loading ${options.rows.toLocaleString('en-US')} finished dispatches with their events and calls`,
  );
  await loadHistory(loaded.pool, options.rows, options.days);
  await settle(empty.pool);
  for (let repetition = 1; repetition <= options.repetitions; repetition++) {
    // Which goes first alternates, so neither always has the machine as the other left it.
    const tag = `r${repetition}`;
    let before: Record<string, number>;
    let after: Record<string, number>;
    if (repetition % 2 === 1) {
      before = await measure(empty, receiver, options, tag);
      after = await measure(loaded, receiver, options, tag);
    } else {
      after = await measure(loaded, receiver, options, tag);
      before = await measure(empty, receiver, options, tag);
    }
    for (const figure of HISTORY_FIGURES) {
      record(`history empty: ${figure}`, before[figure] ?? Number.NaN);
      record(`history loaded: ${figure}`, after[figure] ?? Number.NaN);
      record(
        `history loaded / empty: ${figure}`,
        (after[figure] ?? Number.NaN) / (before[figure] ?? Number.NaN),
      );
    }
  }
  const { rows } = await loaded.pool.query(
    `SELECT pg_size_pretty(pg_database_size(current_database())) AS size`,
  );
  log(`history: database size with the history ${rows[0].size}`);
}

/** The figures history() recorded, as [what, empty key, loaded key]. */
export const HISTORY_FIGURES = [
  'drain deliveries/s',
  'publish events/s',
  'dispatch log, first page per s',
  "a webhook's page (webhook, 24 h chart, its dispatch log) per s",
  'events page per s',
  'a dispatch page (calls rebuilt) per s',
  'GET /v2/webhook-dispatches?desc=1 (100) per s',
] as const;
