// `pnpm bench` (from the repository root, or `pnpm --filter @ricochet/server bench`): measures
// Ricochet beside the strongest simple pipeline doing the same work (bench/pipelines/minimal.ts)
// and a job queue (bench/pipelines/job-queue.ts), in the same run, on a PostgreSQL cluster of the
// benchmark's own (exact CPU per process) and on PGlite, and writes BENCHMARKS.md at the
// repository root. `--quick` is a short check (one repetition, small sizes).
// `--only=drains,publishing` runs only those parts (ceilings, drains, publishing, fairness, api,
// pglite, tracing, crowd, duplicates, rss, storage, history) and prints their figures without writing a
// report. `--workers=1,2` sets the worker counts of the drain and publish parts. `--history-rows=N` sets the finished dispatches the history part loads (default 10
// million, 1 million with --quick) and `--history-repetitions=N` its turns of empty and loaded (3, 1 with --quick), `--storage-deliveries=N` the deliveries the storage part measures. For finding
// where time goes: `--profile` has every Ricochet and minimal-pipeline process write a CPU profile
// to apps/server/profiles/<system>; `--statements` prints each system's statements by database time
// (pg_stat_statements, with planning, blocks and WAL; BENCH_STATEMENTS_ORDER=calls orders them by calls).
// Every loop is bounded by count and time; every process started is stopped at the end (also on
// Ctrl-C). PostgreSQL: a throwaway cluster, or BENCH_DATABASE_URL.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCluster } from './lib/cluster.ts';
import { killEverything, stop } from './lib/processes.ts';
import { startBenchReceiver } from './lib/receiver.ts';
import { log, minutesSinceStart } from './lib/results.ts';
import { type BenchSystem, jobQueueSystem, minimalSystem, ricochetSystem } from './lib/systems.ts';
import { writeReport } from './report.ts';
import { apiFigures } from './scenarios/api.ts';
import { ceilings } from './scenarios/ceilings.ts';
import { drains } from './scenarios/drains.ts';
import { fairness } from './scenarios/fairness.ts';
import { history } from './scenarios/history.ts';
import { pglite } from './scenarios/pglite.ts';
import { publishing } from './scenarios/publishing.ts';
import { crowd, duplicates, rss } from './scenarios/robustness.ts';
import { storage } from './scenarios/storage.ts';
import { tracing } from './scenarios/tracing.ts';

const QUICK = process.argv.includes('--quick');
const ONLY = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (part: string) => !ONLY || ONLY.includes(part);
/** `--name=value` of the command line, or undefined. */
const option = (name: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(`--${name}=`.length);
const HISTORY_ROWS = option('history-rows');
const HISTORY_REPETITIONS = option('history-repetitions');
if (process.argv.includes('--profile')) {
  process.env.BENCH_PROFILE_DIR = fileURLToPath(new URL('../profiles', import.meta.url));
}
const STORAGE_DELIVERIES = option('storage-deliveries');
const STATEMENTS = process.argv.includes('--statements');
const WORKERS = process.argv
  .find((arg) => arg.startsWith('--workers='))
  ?.slice('--workers='.length)
  .split(',')
  .map(Number);
if (STATEMENTS) process.env.BENCH_PG_STATEMENTS = '1';
const ROOT_DIR = join(fileURLToPath(new URL('..', import.meta.url)), '..', '..');

export const SIZE = {
  reps: QUICK ? 1 : 3,
  /** Events of a drained backlog at fan-out 1 (a fifth of them at fan-out 10). */
  backlogEvents: QUICK ? 4_000 : 10_000,
  workerCounts: WORKERS ?? (QUICK ? [1, 2] : [1, 2, 4]),
  /** Deliveries per publish + deliver run. */
  publishDeliverDeliveries: QUICK ? 3_000 : 6_000,
  windowMs: QUICK ? 3_000 : 5_000,
  latencyMs: QUICK ? 4_000 : 8_000,
  bigFanoutPublishes: QUICK ? 30 : 100,
  pgliteEvents: QUICK ? 500 : 1_000,
  crowdMs: QUICK ? 10_000 : 60_000,
  rssMs: QUICK ? 20_000 : 300_000,
  batchWebhooks: QUICK ? 100 : 1_000,
  batchEvents: 1_000,
  fairnessProbes: 20,
  /**
   * Deliveries whose bytes are measured: enough that what a table gets once (its free-space and
   * visibility maps, an index's first pages: about 20 bytes a delivery over 5,000) is small beside
   * what each delivery adds.
   */
  storageDeliveries: STORAGE_DELIVERIES ? Number(STORAGE_DELIVERIES) : QUICK ? 2_000 : 20_000,
  /** Finished dispatches (with events and calls) of the history part. */
  historyRows: HISTORY_ROWS ? Number(HISTORY_ROWS) : QUICK ? 1_000_000 : 10_000_000,
  historyDrainEvents: QUICK ? 3_000 : 5_000,
};

process.on('SIGINT', () => {
  killEverything();
  process.exit(130);
});
process.on('exit', killEverything);

async function main(): Promise<void> {
  const busy = execFileSync('uptime', { encoding: 'utf8' }).trim();
  const cluster = await benchCluster(log);
  const receiver = await startBenchReceiver();
  // A second customer's endpoint: another host:port for the fairness runs.
  const other = await startBenchReceiver();
  const ricochet = await ricochetSystem(cluster);
  const minimal = await minimalSystem(cluster);
  const jobQueue = await jobQueueSystem(cluster);
  const systems = [ricochet, minimal, jobQueue];
  if (STATEMENTS) {
    for (const system of systems)
      await system.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }

  for (let rep = 1; rep <= SIZE.reps; rep++) {
    log(`repetition ${rep} of ${SIZE.reps}`);
    if (wanted('ceilings')) await ceilings(receiver);
    if (wanted('drains')) {
      await drains([ricochet, minimal, jobQueue], cluster, receiver, {
        events: SIZE.backlogEvents,
        workerCounts: SIZE.workerCounts,
        fanouts: [1, 10],
      });
    }
    if (wanted('publishing')) {
      await publishing([ricochet, minimal], cluster, receiver, {
        deliveries: SIZE.publishDeliverDeliveries,
        workerCounts: SIZE.workerCounts,
        fanouts: [1, 10],
        windowMs: SIZE.windowMs,
        latencyMs: SIZE.latencyMs,
      });
    }
    if (wanted('api')) await apiFigures(ricochet, receiver.url, SIZE.bigFanoutPublishes, SIZE.windowMs);
    if (wanted('pglite')) await pglite(receiver, SIZE.pgliteEvents);
  }
  if (wanted('fairness')) {
    await fairness(ricochet, receiver, other, {
      batchWebhooks: SIZE.batchWebhooks,
      batchEvents: SIZE.batchEvents,
      probes: SIZE.fairnessProbes,
    });
  }
  if (wanted('storage')) await storage(ricochet, receiver, { deliveries: SIZE.storageDeliveries });
  if (wanted('history')) {
    // The loaded database is a second Ricochet system; with --statements its statements are
    // printed beside the empty one's (the ricochet system).
    const loaded = await ricochetSystem(cluster, 'ricochet (with history)');
    if (STATEMENTS) await loaded.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    systems.push(loaded);
    await history(ricochet, loaded, receiver, {
      repetitions: HISTORY_REPETITIONS ? Number(HISTORY_REPETITIONS) : QUICK ? 1 : 3,
      rows: SIZE.historyRows,
      days: 3,
      drainEvents: SIZE.historyDrainEvents,
      windowMs: SIZE.windowMs,
      queryMs: QUICK ? 1_500 : 3_000,
    });
  }
  if (wanted('tracing')) {
    await tracing(ricochet, cluster, receiver, {
      events: SIZE.backlogEvents,
      deliveries: SIZE.publishDeliverDeliveries,
      reps: SIZE.reps,
    });
  }
  if (wanted('crowd')) await crowd(ricochet, receiver, SIZE.crowdMs);
  if (wanted('duplicates')) await duplicates(ricochet, receiver);
  if (wanted('rss')) await rss(ricochet, receiver, SIZE.rssMs);

  if (STATEMENTS) for (const system of systems) await printStatements(system);
  await stop(receiver.proc, other.proc);
  for (const system of systems) await system.pool.end();
  if (ONLY) return;
  const file = QUICK ? 'BENCHMARKS.quick.md' : 'BENCHMARKS.md';
  writeFileSync(
    join(ROOT_DIR, file),
    writeReport({
      command: QUICK ? 'pnpm bench --quick' : 'pnpm bench',
      postgres: cluster.description,
      busy: `\`uptime\` at the start: ${busy}`,
      minutes: minutesSinceStart(),
      size: SIZE,
    }),
  );
  log(`wrote ${file}`);
}

/** A system's statements by database time, with their planning (pg_stat_statements). */
async function printStatements(system: BenchSystem): Promise<void> {
  const { rows } = await system.pool.query(
    `SELECT calls, plans, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
       round(mean_plan_time::numeric, 3) AS plan_ms, rows,
       shared_blks_hit + shared_blks_read AS blocks, shared_blks_dirtied AS dirtied, wal_bytes, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS query
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY ${process.env.BENCH_STATEMENTS_ORDER === 'calls' ? 'calls' : 'total_exec_time'} DESC LIMIT 12`,
  );
  log(`${system.label}: statements by database time`);
  for (const row of rows) {
    log(
      `  ${row.total_ms} ms in ${row.calls} calls (${row.mean_ms} ms each; ${row.plans} plans, ${row.plan_ms} ms each), ${row.rows} rows, ${row.blocks} blocks (${row.dirtied} dirtied), ${row.wal_bytes} B WAL: ${row.query}`,
    );
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    killEverything();
    process.exit();
  });
