// How long a migration takes on an installation with history, per million rows (the figure its
// migration.sql quotes). Not part of `pnpm bench`:
//   node --import tsx bench/migration-timing.ts [queue|compact|partitions] [millions=1]
// queue: the delivery queue's (20261202150000); compact: the compact history's (20261202183000),
// over as many finished dispatches with a fully stored call each; partitions: history partitions'
// (20261202200000), with a million events, finished dispatches and calls each per million, spread
// over eight weeks; bytes: fewer history bytes' (20261202230000), over as many events, finished
// dispatches (one in twenty finished a week after its event) and calls, over eight weeks.
import { performance } from 'node:perf_hooks';
import { applyMigrationsToPostgres } from '../src/db/migrate.ts';
import { benchCluster } from './lib/cluster.ts';
import { killEverything } from './lib/processes.ts';
import { log } from './lib/results.ts';

const args = process.argv.slice(2);
const WHICH = args.find((arg) => /^[a-z]+$/.test(arg)) ?? 'queue';
const MILLIONS = Number(args.find((arg) => /^[0-9.]+$/.test(arg)) ?? 1);
const N = Math.round(MILLIONS * 1_000_000);
if (WHICH === 'compact') await timeCompactHistory();
if (WHICH === 'bytes') {
  try {
    await timeHistoryBytes();
  } finally {
    killEverything();
  }
  process.exit(0);
}
if (WHICH === 'partitions') {
  try {
    await timePartitions();
  } finally {
    killEverything();
  }
  process.exit(0);
}

async function timeHistoryBytes(): Promise<void> {
  const cluster = await benchCluster(log);
  const { url, pool } = await cluster.createDatabase('migration_timing_bytes');
  await applyMigrationsToPostgres(url, { upTo: '20261202200000_history_partitions' });
  const run = (sql: string, params: unknown[] = []) => pool.query(sql, params);
  const at = `timezone('UTC', now()) - interval '56 days' * (1 - i::float8 / $1)`;
  await run(
    `SELECT "ricochet_create_history_partitions"(timezone('UTC', now()) - interval '60 days', timezone('UTC', now()))`,
  );
  await run(`INSERT INTO "User" ("id", "username") VALUES ('u', 'u')`);
  await run(`INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl")
    SELECT 'w' || i, 'u', ARRAY['X'], 'https://host' || i || '.example.com/hook' FROM generate_series(1, 100) i`);
  log(`filling ${N.toLocaleString('en-US')} events, finished dispatches and calls over eight weeks`);
  await run(
    `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "idempotencyKey", "dispatchCount", "createdAt")
    SELECT 'e' || i, 'u', 'X', '{"actorId":"a","actorRunId":"r","n":1}', CASE WHEN i % 10 = 0 THEN 'k' || i END, 1, ${at}
    FROM generate_series(1, $1::int) i`,
    [N],
  );
  // One in twenty finished a week after its event (a retry across a Monday): the rows the
  // migration gives a copy of their event's data.
  await run(
    `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount", "createdAt", "finishedAt")
    SELECT 'f' || i, 'u', 'w' || (i % 100 + 1), 'e' || i, 'X', 'SUCCEEDED', 1, ${at},
      LEAST(${at} + CASE WHEN i % 20 = 0 THEN interval '7 days' ELSE interval '0' END, timezone('UTC', now()))
    FROM generate_series(1, $1::int) i`,
    [N],
  );
  await run(
    `INSERT INTO "DispatchCall" ("dispatchId", "webhookId", "attempt", "startedAt", "finishedAt", "outcome", "responseStatus", "responseBody")
    SELECT 'f' || i, 'w' || (i % 100 + 1), 1, ${at}, ${at}, 'succeeded', 200, 'ok' FROM generate_series(1, $1::int) i`,
    [N],
  );
  await run('VACUUM ANALYZE');
  const t0 = performance.now();
  await applyMigrationsToPostgres(url);
  const seconds = (performance.now() - t0) / 1000;
  log(
    `migrated in ${seconds.toFixed(1)} s: ${(seconds / MILLIONS).toFixed(1)} s per million events (with as many finished dispatches and calls, ${(3 * N).toLocaleString('en-US')} rows)`,
  );
  await pool.end();
}

async function timePartitions(): Promise<void> {
  const cluster = await benchCluster(log);
  const { url, pool } = await cluster.createDatabase('migration_timing_partitions');
  await applyMigrationsToPostgres(url, { upTo: '20261202150000_delivery_queue' });
  const run = (sql: string, params: unknown[] = []) => pool.query(sql, params);
  // Eight weeks of history, oldest first: row i was written (8 weeks) * i / N ago.
  const at = `timezone('UTC', now()) - interval '56 days' * (1 - i::float8 / $1)`;
  await run(`INSERT INTO "User" ("id", "username") VALUES ('u', 'u')`);
  await run(`INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl")
    SELECT 'w' || i, 'u', ARRAY['X'], 'https://host' || i || '.example.com/hook' FROM generate_series(1, 100) i`);
  log(`filling ${N.toLocaleString('en-US')} events, finished dispatches and calls over eight weeks`);
  await run(
    `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "dispatchCount", "createdAt")
    SELECT 'e' || i, 'u', 'X', '{"actorId":"a","actorRunId":"r","n":1}', 1, ${at} FROM generate_series(1, $1::int) i`,
    [N],
  );
  await run(
    `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount", "createdAt", "finishedAt")
    SELECT 'f' || i, 'u', 'w' || (i % 100 + 1), 'e' || i, 'X', 'SUCCEEDED', 1, ${at}, ${at} FROM generate_series(1, $1::int) i`,
    [N],
  );
  await run(
    `INSERT INTO "DispatchCall" ("dispatchId", "webhookId", "attempt", "startedAt", "finishedAt", "outcome", "responseStatus", "responseBody")
    SELECT 'f' || i, 'w' || (i % 100 + 1), 1, ${at}, ${at}, 'succeeded', 200, 'ok' FROM generate_series(1, $1::int) i`,
    [N],
  );
  await run('VACUUM ANALYZE');
  const t0 = performance.now();
  await applyMigrationsToPostgres(url);
  const seconds = (performance.now() - t0) / 1000;
  log(
    `migrated in ${seconds.toFixed(1)} s: ${(seconds / MILLIONS).toFixed(1)} s per million events (with as many finished dispatches and calls, ${(3 * N).toLocaleString('en-US')} rows)`,
  );
  await pool.end();
}

try {
  const cluster = await benchCluster(log);
  const { url, pool } = await cluster.createDatabase('migration_timing');
  await applyMigrationsToPostgres(url, { upTo: '20261129234434_drop_publish_path_foreign_keys' });
  const run = (sql: string, params: unknown[] = []) => pool.query(sql, params);
  await run(`INSERT INTO "User" ("id", "username") VALUES ('u', 'u')`);
  await run(`INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl")
    SELECT 'w' || i, 'u', ARRAY['X'], 'https://host' || i || '.example.com/hook' FROM generate_series(1, 100) i`);
  await run(
    `INSERT INTO "Event" ("id", "userId", "eventType", "eventData") SELECT 'e' || i, 'u', 'X', '{"a":1}' FROM generate_series(1, $1::int) i`,
    [N],
  );
  log(`filling ${N.toLocaleString('en-US')} ACTIVE dispatches, as many finished ones, and a call for each`);
  await run(
    `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "status", "attemptCount", "nextAttemptAt", "createdAt", "finishedAt")
    SELECT 'a' || i, 'u', 'w' || (i % 100 + 1), 'e' || i, 'X', '{"a":1}', 'ACTIVE', 1,
      now() + (CASE WHEN i % 2 = 0 THEN interval '1 hour' ELSE interval '-1 hour' END), now(), NULL FROM generate_series(1, $1::int) i`,
    [N],
  );
  await run(
    `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "status", "attemptCount", "createdAt", "finishedAt")
    SELECT 'f' || i, 'u', 'w' || (i % 100 + 1), 'e' || i, 'X', '{"a":1}', 'SUCCEEDED', 1, now(), now() FROM generate_series(1, $1::int) i`,
    [N],
  );
  await run(`INSERT INTO "DispatchCall" ("id", "dispatchId", "webhookId", "attempt", "startedAt", "finishedAt", "outcome", "responseStatus")
    SELECT d."id" || '-1', d."id", d."webhookId", 1, now(), now(), 'succeeded', 200 FROM "Dispatch" d`);
  await run('VACUUM ANALYZE');
  const t0 = performance.now();
  await applyMigrationsToPostgres(url);
  const seconds = (performance.now() - t0) / 1000;
  log(
    `migrated in ${seconds.toFixed(1)} s: ${(seconds / MILLIONS).toFixed(1)} s per million ACTIVE dispatches (with as many finished ones and ${(2 * N).toLocaleString('en-US')} calls)`,
  );
  await pool.end();
} finally {
  killEverything();
}
process.exit(0);

/** The compact history's migration over N finished dispatches, each with its event and a fully stored call. */
async function timeCompactHistory(): Promise<never> {
  try {
    const cluster = await benchCluster(log);
    const { url, pool } = await cluster.createDatabase('migration_timing');
    await applyMigrationsToPostgres(url, { upTo: '20261202150000_delivery_queue' });
    const run = (sql: string, params: unknown[] = []) => pool.query(sql, params);
    await run(`INSERT INTO "User" ("id", "username") VALUES ('u', 'u')`);
    await run(`INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl")
      SELECT 'w' || i, 'u', ARRAY['X'], 'https://host' || i || '.example.com/hook' FROM generate_series(1, 100) i`);
    log(`filling ${N.toLocaleString('en-US')} finished dispatches with their events and calls`);
    await run(
      `INSERT INTO "Event" ("id", "userId", "eventType", "eventData") SELECT 'e' || i, 'u', 'X', '{"a":1}' FROM generate_series(1, $1::int) i`,
      [N],
    );
    await run(
      `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount", "createdAt", "finishedAt")
      SELECT 'f' || i, 'u', 'w' || (i % 100 + 1), 'e' || i, 'X', 'SUCCEEDED', 1, now(), now() FROM generate_series(1, $1::int) i`,
      [N],
    );
    await run(`INSERT INTO "DispatchCall" ("dispatchId", "webhookId", "attempt", "startedAt", "finishedAt", "outcome", "responseStatus",
        "requestUrl", "requestHeaders", "requestBody", "responseHeaders")
      SELECT d."id", d."webhookId", 1, now(), now(), 'succeeded', 200, 'https://example.com/hook',
        '{"Content-Type":"application/json; charset=utf-8","webhook-id":"x"}', '{"a":1}', '{}' FROM "Dispatch" d`);
    await run('VACUUM ANALYZE');
    const t0 = performance.now();
    await applyMigrationsToPostgres(url, { upTo: '20261202183000_compact_history' });
    const seconds = (performance.now() - t0) / 1000;
    log(
      `migrated in ${seconds.toFixed(2)} s over ${N.toLocaleString('en-US')} calls: ${(seconds / MILLIONS).toFixed(2)} s per million`,
    );
    await pool.end();
  } finally {
    killEverything();
  }
  process.exit(0);
}
