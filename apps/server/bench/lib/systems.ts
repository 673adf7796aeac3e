import type pg from 'pg';
import { applyMigrationsToPostgres } from '../../src/db/migrate.ts';
import { BENCH_TOKEN, seedBenchUser } from '../bench-user.ts';
import { ADD_JOBS_SQL } from '../pipelines/job-queue.ts';
import { MINIMAL_SCHEMA } from '../pipelines/minimal.ts';
import { type BenchCluster, countRows, truncate } from './cluster.ts';
import { waitUntil } from './load.ts';
import { type Proc, startMinimal, startNode, startRicochet } from './processes.ts';

/**
 * One system under measurement on its own database: Ricochet, or the minimal pipeline (the
 * ceiling). Scenarios drive both through this, so both do exactly the same work.
 */
export type BenchSystem = {
  name: 'ricochet' | 'minimal' | 'jobqueue';
  label: string;
  url: string;
  pool: pg.Pool;
  /** Empties the database and creates one user with `fanout` webhooks to `${receiverUrl}/hook/<n>`. */
  reset(receiverUrl: string, fanout: number): Promise<void>;
  /** Commits `events` events with one dispatch per webhook in one transaction; returns the dispatches. */
  backlog(events: number): Promise<number>;
  /** Dispatches recorded as delivered. */
  delivered(): Promise<number>;
  startWorker(env?: Record<string, string>): Promise<Proc>;
  /** Absent for the job queue, which has no publish endpoint. */
  startApi?(env?: Record<string, string>): Promise<{ proc: Proc; baseUrl: string }>;
  publishPath: string;
  token: string | undefined;
};

export async function ricochetSystem(cluster: BenchCluster, label = 'Ricochet'): Promise<BenchSystem> {
  const { url, pool } = await cluster.createDatabase('ricochet_bench');
  await applyMigrationsToPostgres(url);
  return {
    name: 'ricochet',
    label,
    url,
    pool,
    async reset(receiverUrl, fanout) {
      await truncate(
        pool,
        'TRUNCATE "User", "Webhook", "Event", "Dispatch", "DispatchQueue", "DispatchCall", "WebhookSecret", "ApiToken" CASCADE',
      );
      await seedBenchUser(pool, receiverUrl, fanout);
    },
    async backlog(events) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "dispatchCount")
           SELECT 'ev' || i, 'benchUser', 'ACTOR.RUN.SUCCEEDED', jsonb_build_object('actorId', 'benchActor', 'i', i),
             (SELECT count(*) FROM "Webhook") FROM generate_series(1, $1::int) i`,
          [events],
        );
        // As one publish of them all would queue them: READY, each webhook's rows in turn.
        const { rowCount } = await client.query(
          `INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "createdAt", "runAt", "state", "fairKey")
           SELECT ricochet_record_id(), e."userId", w."id", e."id", e."eventType", e."createdAt", e."createdAt", 'READY',
             row_number() OVER (ORDER BY e."id", w."id")
           FROM "Event" e CROSS JOIN "Webhook" w`,
        );
        await client.query(`SELECT pg_notify('ricochet_dispatches', '')`);
        await client.query('COMMIT');
        return rowCount ?? 0;
      } finally {
        client.release();
      }
    },
    delivered: () => countRows(pool, `SELECT count(*) FROM "Dispatch" WHERE "status" = 'SUCCEEDED'`),
    startWorker: async (env = {}) => (await startRicochet(['--worker'], { DATABASE_URL: url, ...env })).proc,
    startApi: (env = {}) => startRicochet(['--api'], { DATABASE_URL: url, ...env }),
    publishPath: '/v2/events',
    token: BENCH_TOKEN,
  };
}

export async function minimalSystem(cluster: BenchCluster): Promise<BenchSystem> {
  const { url, pool } = await cluster.createDatabase('minimal_bench');
  await pool.query(MINIMAL_SCHEMA);
  return {
    name: 'minimal',
    label: 'minimal pipeline',
    url,
    pool,
    async reset(receiverUrl, fanout) {
      // No RESTART IDENTITY: ids are never reused, so a call still in flight from an earlier run
      // cannot land on a new dispatch that took its id.
      await truncate(pool, 'TRUNCATE mp_webhook, mp_event, mp_dispatch, mp_call');
      await pool.query(
        `INSERT INTO mp_webhook (url, event_type) SELECT $1 || '/hook/' || i, 'ACTOR.RUN.SUCCEEDED' FROM generate_series(1, $2::int) i`,
        [receiverUrl, fanout],
      );
    },
    async backlog(events) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO mp_event (event_type, data)
           SELECT 'ACTOR.RUN.SUCCEEDED', jsonb_build_object('actorId', 'benchActor', 'i', i) FROM generate_series(1, $1::int) i`,
          [events],
        );
        const { rowCount } = await client.query(
          `INSERT INTO mp_dispatch (webhook_id, event_id) SELECT w.id, e.id FROM mp_event e CROSS JOIN mp_webhook w`,
        );
        await client.query(`SELECT pg_notify('mp_dispatches', '')`);
        await client.query('COMMIT');
        return rowCount ?? 0;
      } finally {
        client.release();
      }
    },
    delivered: () => countRows(pool, `SELECT count(*) FROM mp_dispatch WHERE status = 'SUCCEEDED'`),
    startWorker: async () => (await startMinimal('--worker', url)).proc,
    startApi: () => startMinimal('--api', url),
    publishPath: '/events',
    token: undefined,
  };
}

/** graphile-worker, one job per delivery (bench/pipelines/job-queue.ts): draining only. */
export async function jobQueueSystem(cluster: BenchCluster): Promise<BenchSystem> {
  const { url, pool } = await cluster.createDatabase('jobqueue_bench');
  const setup = startNode(['bench/pipelines/job-queue.ts', '--setup'], { DATABASE_URL: url });
  if ((await setup.exited) !== 0)
    throw new Error(`graphile-worker's migrations failed:\n${setup.lines.join('\n')}`);
  let receiver = '';
  let fanout = 1;
  return {
    name: 'jobqueue',
    label: 'job queue (graphile-worker, a job per POST)',
    url,
    pool,
    async reset(receiverUrl, webhooks) {
      await truncate(pool, 'TRUNCATE graphile_worker._private_jobs');
      receiver = receiverUrl;
      fanout = webhooks;
    },
    async backlog(events) {
      await pool.query(ADD_JOBS_SQL, [receiver, events, fanout]);
      return events * fanout;
    },
    delivered: async () => {
      // Jobs are deleted as they complete; none are added while a backlog drains.
      const left = await countRows(pool, 'SELECT count(*) FROM graphile_worker._private_jobs');
      return left === 0 ? Number.POSITIVE_INFINITY : -left;
    },
    startWorker: async () => {
      const proc = startNode(['bench/pipelines/job-queue.ts', '--worker'], { DATABASE_URL: url });
      await proc.waitForLine(/worker ready/, 60_000);
      return proc;
    },
    publishPath: '',
    token: undefined,
  };
}

/**
 * Runs a few thousand deliveries through freshly started workers before anything is measured: a new process
 * loads and compiles its modules on first use, which would otherwise be counted against the first
 * run's deliveries.
 */
export async function warmUp(
  system: BenchSystem,
  receiver: { url: string; reset(): Promise<void> },
): Promise<void> {
  // Enough calls for V8 to have optimised the hot paths (a few thousand), at both fan-outs measured.
  for (const [fanout, events] of [
    [1, 3_000],
    [10, 300],
  ] as const) {
    await system.reset(receiver.url, fanout);
    const total = await system.backlog(events);
    const done = await waitUntil(async () => (await system.delivered()) >= total, 60_000, 50);
    if (!done) throw new Error(`${system.label}: the warm-up backlog was not delivered within a minute`);
  }
  await receiver.reset();
}
