// `pnpm bench` (from the repository root, or `pnpm --filter @ricochet/server bench`): measures
// Ricochet on PostgreSQL and on PGlite beside ceilings measured in the same run, and writes
// BENCHMARKS.md at the repository root. `--quick` is a short check (one repetition, small sizes).
// `--only=pglite,publishing` runs only those parts (ceilings, drains, publishing, api, pglite,
// crowd, duplicates, rss) and prints their figures without writing a report: for checking a change.
//   C1  undici POST rate to the same receiver (what any sender can reach)
//   C2  single-row insert + update transactions/s at the same database concurrency
//   C3  a hand-written minimal durable pipeline (bench/minimal-pipeline.ts), publishing behind a
//       bare node:http endpoint
// Every loop is bounded by count and time; every process started is stopped at the end (also on
// Ctrl-C). PostgreSQL: BENCH_DATABASE_URL, else 127.0.0.1:5432, else a throwaway cluster started here.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { cpus, freemem, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { Pool as HttpPool } from 'undici';
import { applyMigrationsToPostgres } from '../src/db/migrate.ts';
import { type RicochetProcess, startServerScript } from '../test/processes.ts';
import { BENCH_TOKEN, seedBenchUser } from './bench-user.ts';

const QUICK = process.argv.includes('--quick');
const ONLY = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (part: string) => !ONLY || ONLY.includes(part);
const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const ROOT_DIR = join(SERVER_DIR, '..', '..');
const REPS = QUICK ? 1 : 3;
const SIZE = {
  backlogEvents: QUICK ? 1_000 : 2_000,
  windowMs: QUICK ? 3_000 : 5_000,
  latencyMs: QUICK ? 4_000 : 8_000,
  rssMs: QUICK ? 20_000 : 300_000,
  workerCounts: QUICK ? [2] : [1, 2, 4],
  pgliteEvents: QUICK ? 500 : 1_000,
  /** Deliveries per publish + deliver run (events = this / fan-out). */
  publishDeliverDeliveries: QUICK ? 2_000 : 5_000,
  bigFanoutPublishes: QUICK ? 30 : 100,
  crowdMs: QUICK ? 10_000 : 60_000,
};
const TOKEN = BENCH_TOKEN;
const STARTED = Date.now();
const log = (message: string) =>
  process.stdout.write(`[bench ${((Date.now() - STARTED) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);

// ---------------------------------------------------------------- processes, cleaned up on exit
type Proc = RicochetProcess;
const running = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];

function startNode(args: string[], env: Record<string, string>): Proc {
  const proc = startServerScript(args, env);
  running.add(proc.child);
  proc.child.on('exit', () => running.delete(proc.child));
  return proc;
}

async function stop(...procs: Proc[]): Promise<void> {
  await Promise.all(
    procs.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

function killEverything(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {}
  }
}
process.on('SIGINT', () => {
  killEverything();
  process.exit(130);
});
process.on('exit', killEverything);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- PostgreSQL
async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** The server's URL: BENCH_DATABASE_URL, 127.0.0.1:5432, or a cluster started here for the run. */
async function ensurePostgres(): Promise<string> {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await canConnect(url)) return url;
  const bin = readdirSync('/usr/lib/postgresql')
    .map((version) => `/usr/lib/postgresql/${version}/bin`)
    .find((dir) => existsSync(join(dir, 'initdb')));
  if (!bin) throw new Error(`PostgreSQL is not reachable at ${url} and no initdb was found to start one.`);
  const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-bench-pg-'));
  const port = 5439;
  log(`starting a throwaway PostgreSQL on port ${port} (${dataDir})`);
  execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust'], { stdio: 'ignore' });
  execFileSync(join(bin, 'pg_ctl'), ['-D', dataDir, '-o', `-p ${port} -k ${dataDir}`, '-w', 'start'], {
    stdio: 'ignore',
  });
  cleanups.push(() => {
    execFileSync(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', 'stop'], { stdio: 'ignore' });
    rmSync(dataDir, { recursive: true, force: true });
  });
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

async function createDatabase(serverUrl: string, prefix: string): Promise<{ url: string; pool: pg.Pool }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on('error', () => {});
  cleanups.push(() => {
    execFileSync('psql', [serverUrl, '-qc', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`], {
      stdio: 'ignore',
    });
  });
  return { url: url.toString(), pool };
}

// ---------------------------------------------------------------- receiver and load
type ReceiverStats = {
  received: number;
  duplicates: number;
  distinct: number;
  latencies: number[];
  firstAt: number;
  lastAt: number;
};

async function startReceiver(): Promise<{
  proc: Proc;
  url: string;
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
}> {
  const proc = startNode(['bench/receiver.ts'], {});
  const port = Number(/listening (\d+)/.exec(await proc.waitForLine(/listening \d+/))?.[1]);
  const url = `http://127.0.0.1:${port}`;
  const client = new HttpPool(url, { connections: 2 });
  return {
    proc,
    url,
    stats: async () =>
      (await (await client.request({ method: 'GET', path: '/' })).body.json()) as ReceiverStats,
    reset: async () => {
      await (await client.request({ method: 'POST', path: '/reset' })).body.dump();
    },
  };
}

type LoadResult = {
  ok: number;
  errors5xx: number;
  otherErrors: number;
  latencies: number[];
  elapsedMs: number;
};

/** `concurrency` loops calling `call` until `durationMs` or `maxCalls` is reached. */
async function closedLoop(args: {
  concurrency: number;
  durationMs: number;
  maxCalls?: number;
  call: () => Promise<number>;
}): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, errors5xx: 0, otherErrors: 0, latencies: [], elapsedMs: 0 };
  const start = performance.now();
  const deadline = start + args.durationMs;
  let started = 0;
  const maxCalls = args.maxCalls ?? Number.POSITIVE_INFINITY;
  await Promise.all(
    Array.from({ length: args.concurrency }, async () => {
      while (performance.now() < deadline && started < maxCalls) {
        started++;
        const t0 = performance.now();
        try {
          const status = await args.call();
          if (status >= 500) result.errors5xx++;
          else if (status >= 400) result.otherErrors++;
          else result.ok++;
        } catch {
          result.otherErrors++;
        }
        result.latencies.push(performance.now() - t0);
      }
    }),
  );
  result.elapsedMs = performance.now() - start;
  return result;
}

/** Calls at a fixed rate (open loop), at most 1,000 in flight. */
async function openLoop(args: {
  ratePerSec: number;
  durationMs: number;
  call: () => Promise<number>;
}): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, errors5xx: 0, otherErrors: 0, latencies: [], elapsedMs: 0 };
  const start = performance.now();
  const total = Math.floor((args.ratePerSec * args.durationMs) / 1000);
  const calls: Array<Promise<void>> = [];
  let inFlight = 0;
  for (let index = 0; index < total; index++) {
    const due = start + (index * 1000) / args.ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= 1_000) {
      result.otherErrors++;
      continue;
    }
    inFlight++;
    const t0 = performance.now();
    calls.push(
      args
        .call()
        .then((status) => {
          if (status >= 500) result.errors5xx++;
          else if (status >= 400) result.otherErrors++;
          else result.ok++;
        })
        .catch(() => {
          result.otherErrors++;
        })
        .finally(() => {
          inFlight--;
          result.latencies.push(performance.now() - t0);
        }),
    );
  }
  await Promise.all(calls);
  result.elapsedMs = performance.now() - start;
  return result;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return false;
}

function publishBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventType: 'ACTOR.RUN.SUCCEEDED',
    eventData: { actorId: 'benchActor', sentAt: Date.now(), ...extra },
  });
}

function poster(baseUrl: string, connections: number, path: string, token?: string) {
  const client = new HttpPool(baseUrl, { connections, keepAliveTimeout: 60_000 });
  return {
    post: async (body: string) => {
      const response = await client.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body,
      });
      await response.body.dump();
      return response.statusCode;
    },
    get: async (getPath: string) => {
      const response = await client.request({
        method: 'GET',
        path: getPath,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      await response.body.dump();
      return response.statusCode;
    },
    close: () => client.close(),
  };
}

// ---------------------------------------------------------------- Ricochet on PostgreSQL
const RICOCHET_ENV = {
  OUTBOUND_ALLOW_LOOPBACK: 'true',
  RATE_LIMIT_MAX: '1000000000',
  LOG_LEVEL: 'warn',
  // Every benchmark webhook points at the one receiver; the per-host bound (a fairness guard
  // between customers, default 10) would otherwise be what is measured.
  DELIVERY_MAX_CONCURRENT_PER_HOST: '100',
};

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRicochet(
  flags: string[],
  env: Record<string, string>,
): Promise<{ proc: Proc; baseUrl: string }> {
  const port = await freePort();
  const proc = startNode(['src/main.ts', ...flags], { ...RICOCHET_ENV, PORT: String(port), ...env });
  if (flags.includes('--worker')) return { proc, baseUrl: '' };
  const baseUrl = `http://127.0.0.1:${port}`;
  const up = await waitUntil(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`Ricochet exited:\n${proc.lines.join('\n')}`);
      return fetch(`${baseUrl}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
    },
    60_000,
    100,
  );
  if (!up) throw new Error(`Ricochet did not start:\n${proc.lines.join('\n')}`);
  return { proc, baseUrl };
}

/** Waits until `count` workers LISTEN for NOTIFY on the database (they do once migrations ran). */
async function waitForListeners(pool: pg.Pool, count: number): Promise<void> {
  const ready = await waitUntil(
    async () =>
      (await countRows(
        pool,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
      )) >= count,
    60_000,
    100,
  );
  if (!ready) throw new Error(`${count} workers did not start within a minute`);
}

/** A user with the bench token and `fanout` webhooks to the receiver, in an emptied database. */
async function resetRicochet(pool: pg.Pool, receiverUrl: string, fanout: number): Promise<void> {
  await truncate(
    pool,
    'TRUNCATE "User", "Webhook", "Event", "Dispatch", "DispatchCall", "WebhookSecret", "ApiToken" CASCADE',
  );
  await seedBenchUser(pool, receiverUrl, fanout);
}

/** Inserts `events` events and their dispatches (one per webhook) in one transaction, then NOTIFYs. */
async function ricochetBacklog(pool: pg.Pool, events: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "dispatchCount")
       SELECT 'ev' || i, 'benchUser', 'ACTOR.RUN.SUCCEEDED', jsonb_build_object('actorId', 'benchActor', 'i', i),
         (SELECT count(*) FROM "Webhook") FROM generate_series(1, $1::int) i`,
      [events],
    );
    const { rowCount } = await client.query(
      `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "createdAt", "nextAttemptAt")
       SELECT ricochet_record_id(), e."userId", w."id", e."id", e."eventType", e."eventData", e."createdAt", e."createdAt"
       FROM "Event" e CROSS JOIN "Webhook" w`,
    );
    await client.query(`SELECT pg_notify('ricochet_dispatches', '')`);
    await client.query('COMMIT');
    return rowCount ?? 0;
  } finally {
    client.release();
  }
}

/**
 * TRUNCATE while workers may still be polling: a deadlock with one of their statements is retried,
 * after a growing pause so the worker's transaction can finish first.
 */
async function truncate(pool: pg.Pool, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

async function countRows(pool: pg.Pool, sql: string): Promise<number> {
  return Number((await pool.query(sql)).rows[0].count);
}

const RICOCHET_DONE = `SELECT count(*) FROM "Dispatch" WHERE "status" = 'SUCCEEDED'`;
const C3_DONE = `SELECT count(*) FROM mp_dispatch WHERE status = 'SUCCEEDED'`;

/** Deliveries/s from the commit of a backlog until every dispatch is SUCCEEDED. */
async function drain(pool: pg.Pool, insert: () => Promise<number>, doneSql: string): Promise<number> {
  const t0 = performance.now();
  const total = await insert();
  const finished = await waitUntil(async () => (await countRows(pool, doneSql)) >= total, 120_000, 25);
  return finished ? total / ((performance.now() - t0) / 1000) : Number.NaN;
}

async function resetC3(pool: pg.Pool, receiverUrl: string, fanout: number): Promise<void> {
  // No RESTART IDENTITY: C3's worker has no lease fence, so a call still in flight from before
  // would mark the new dispatch that reused its id as delivered.
  await truncate(pool, 'TRUNCATE mp_webhook, mp_dispatch, mp_call');
  await pool.query(
    `INSERT INTO mp_webhook (url, event_type) SELECT $1 || '/hook/' || i, 'ACTOR.RUN.SUCCEEDED' FROM generate_series(1, $2::int) i`,
    [receiverUrl, fanout],
  );
}

async function c3Backlog(pool: pg.Pool, events: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query(
      `INSERT INTO mp_dispatch (webhook_id, payload)
       SELECT w.id, jsonb_build_object('eventType', 'ACTOR.RUN.SUCCEEDED', 'eventData', jsonb_build_object('i', i))
       FROM generate_series(1, $1::int) i CROSS JOIN mp_webhook w`,
      [events],
    );
    await client.query(`SELECT pg_notify('mp_dispatches', '')`);
    await client.query('COMMIT');
    return rowCount ?? 0;
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------- results
const results = new Map<string, number[]>();
function record(key: string, value: number): void {
  const list = results.get(key) ?? [];
  list.push(value);
  results.set(key, list);
  log(`${key}: ${Number.isFinite(value) ? value.toFixed(value < 100 ? 1 : 0) : value}`);
}
function summary(key: string, digits = 0): string {
  const values = (results.get(key) ?? []).filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (values.length === 0) return 'n/a';
  const fmt = (value: number) =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const median = values[Math.floor(values.length / 2)] as number;
  return values.length === 1
    ? fmt(median)
    : `${fmt(median)} (${fmt(values[0] as number)}–${fmt(values.at(-1) as number)})`;
}
function median(key: string): number {
  const values = (results.get(key) ?? []).filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  return values.length ? (values[Math.floor(values.length / 2)] as number) : Number.NaN;
}
function ratio(a: string, b: string): string {
  const value = median(a) / median(b);
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}

// ---------------------------------------------------------------- the scenarios
async function ceilings(receiver: { url: string }, pgUrl: string, rep: number): Promise<void> {
  const sender = poster(receiver.url, 100, '/c1');
  const c1 = await closedLoop({
    concurrency: 100,
    durationMs: 3_000,
    call: () => sender.post(publishBody()),
  });
  await sender.close();
  record('C1 undici POST/s', (c1.ok / c1.elapsedMs) * 1000);

  const pool = new pg.Pool({ connectionString: pgUrl, max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS c2 (id bigint PRIMARY KEY, v int, at timestamptz)');
  let next = rep * 10_000_000;
  const c2 = await closedLoop({
    concurrency: 10,
    durationMs: 3_000,
    call: async () => {
      const client = await pool.connect();
      try {
        const id = next++;
        await client.query('BEGIN');
        await client.query('INSERT INTO c2 (id, v, at) VALUES ($1, 0, now())', [id]);
        await client.query('UPDATE c2 SET v = v + 1 WHERE id = $1', [id]);
        await client.query('COMMIT');
        return 200;
      } finally {
        client.release();
      }
    },
  });
  await pool.end();
  record('C2 PostgreSQL insert+update tx/s (10 connections)', (c2.ok / c2.elapsedMs) * 1000);
}

async function drains(
  pg_: { ricochet: { url: string; pool: pg.Pool }; c3: { url: string; pool: pg.Pool } },
  receiverUrl: string,
): Promise<void> {
  for (const workers of SIZE.workerCounts) {
    for (const system of ['ricochet', 'c3'] as const) {
      const db = pg_[system];
      const procs =
        system === 'ricochet'
          ? await Promise.all(
              Array.from(
                { length: workers },
                async () => (await startRicochet(['--worker'], { DATABASE_URL: db.url })).proc,
              ),
            )
          : Array.from({ length: workers }, () =>
              startNode(['bench/minimal-pipeline.ts', '--worker'], { DATABASE_URL: db.url }),
            );
      await waitForListeners(db.pool, workers);
      for (const fanout of [1, 10]) {
        const events = fanout === 1 ? SIZE.backlogEvents : Math.floor(SIZE.backlogEvents / 5);
        if (system === 'ricochet') await resetRicochet(db.pool, receiverUrl, fanout);
        else await resetC3(db.pool, receiverUrl, fanout);
        const rate = await drain(
          db.pool,
          () => (system === 'ricochet' ? ricochetBacklog(db.pool, events) : c3Backlog(db.pool, events)),
          system === 'ricochet' ? RICOCHET_DONE : C3_DONE,
        );
        record(`drain fo${fanout} w${workers} ${system}`, rate);
      }
      await stop(...procs);
    }
  }
}

async function publishing(
  pg_: { ricochet: { url: string; pool: pg.Pool }; c3: { url: string; pool: pg.Pool } },
  receiver: { url: string; stats(): Promise<ReceiverStats>; reset(): Promise<void> },
): Promise<void> {
  for (const system of ['ricochet', 'c3'] as const) {
    const db = pg_[system];
    const api =
      system === 'ricochet'
        ? await startRicochet(['--api'], { DATABASE_URL: db.url })
        : await (async () => {
            const proc = startNode(['bench/minimal-pipeline.ts', '--api'], { DATABASE_URL: db.url });
            const port = /listening (\d+)/.exec(await proc.waitForLine(/listening \d+/))?.[1];
            return { proc, baseUrl: `http://127.0.0.1:${port}` };
          })();
    const client = poster(api.baseUrl, 32, system === 'ricochet' ? '/v2/events' : '/events', TOKEN);
    const reset = (fanout: number) =>
      system === 'ricochet'
        ? resetRicochet(db.pool, receiver.url, fanout)
        : resetC3(db.pool, receiver.url, fanout);

    // Publishing alone, fan-out 1.
    await reset(1);
    const alone = await closedLoop({
      concurrency: 32,
      durationMs: SIZE.windowMs,
      call: () => client.post(publishBody()),
    });
    record(`publish alone ${system}`, (alone.ok / alone.elapsedMs) * 1000);
    record(`publish alone 5xx ${system}`, alone.errors5xx);

    // Publishing and delivering at once, one worker, started on an empty queue (not on the
    // backlog publishing alone left).
    await reset(1);
    const worker =
      system === 'ricochet'
        ? (await startRicochet(['--worker'], { DATABASE_URL: db.url })).proc
        : startNode(['bench/minimal-pipeline.ts', '--worker'], { DATABASE_URL: db.url });
    await waitForListeners(db.pool, 1);
    // A fixed number of events, published by 32 publishers while the worker delivers, timed from
    // the first publish to the last receipt: the durable pipeline's throughput. (Counting only
    // what was delivered while publishing went on would reward a slower publisher, which leaves
    // the worker more of the two cores.)
    for (const fanout of [1, 10]) {
      await reset(fanout);
      await receiver.reset();
      const events = SIZE.publishDeliverDeliveries / fanout;
      const t0 = Date.now();
      const load = await closedLoop({
        concurrency: 32,
        durationMs: 120_000,
        maxCalls: events,
        call: () => client.post(publishBody()),
      });
      const expected = load.ok * fanout;
      const all = await waitUntil(async () => (await receiver.stats()).received >= expected, 120_000);
      const stats = await receiver.stats();
      if (!all) {
        const table = system === 'ricochet' ? '"Dispatch"' : 'mp_dispatch';
        const byStatus = await db.pool.query(`SELECT status::text, count(*) FROM ${table} GROUP BY 1`);
        log(
          `${system} fo${fanout}: ${stats.received} of ${expected} received; dispatches: ${JSON.stringify(byStatus.rows)}`,
        );
      }
      record(
        `publish+deliver fo${fanout} deliveries/s ${system}`,
        all ? (stats.received / (stats.lastAt - t0)) * 1000 : Number.NaN,
      );
      record(`publish+deliver fo${fanout} events/s ${system}`, (load.ok / load.elapsedMs) * 1000);
      record(`publish+deliver fo${fanout} 5xx ${system}`, load.errors5xx);
    }

    // Publish -> receipt at a steady 100 events/s, fan-out 1.
    await reset(1);
    await receiver.reset();
    const steady = await openLoop({
      ratePerSec: 100,
      durationMs: SIZE.latencyMs,
      call: () => client.post(publishBody()),
    });
    await waitUntil(async () => (await receiver.stats()).received >= steady.ok, 30_000);
    const { latencies } = await receiver.stats();
    for (const p of [50, 90, 99]) record(`latency p${p} ms ${system}`, percentile(latencies, p));
    await client.close();
    await stop(worker, api.proc);
  }
}

async function ricochetApiFigures(db: { url: string; pool: pg.Pool }, receiverUrl: string): Promise<void> {
  // One event matching 1,000 webhooks (nothing delivers them here).
  await resetRicochet(db.pool, receiverUrl, 1_000);
  const api = await startRicochet(['--api'], { DATABASE_URL: db.url });
  const client = poster(api.baseUrl, 64, '/v2/events', TOKEN);
  // Warm-up, not measured: the first requests of a new process resolve the token, prepare the
  // statement and compile the hot code.
  for (let index = 0; index < 5; index++) await client.post(publishBody());
  const big = await closedLoop({
    concurrency: 1,
    durationMs: 60_000,
    maxCalls: SIZE.bigFanoutPublishes,
    call: () => client.post(publishBody()),
  });
  record('publish to 1,000 webhooks p50 ms', percentile(big.latencies, 50));
  record('publish to 1,000 webhooks p99 ms', percentile(big.latencies, 99));
  await db.pool.query('TRUNCATE "Dispatch", "Event" CASCADE');

  // GET /v2/webhooks/:id with 64 connections (the webhook has 1,000 dispatches behind its stats).
  await ricochetBacklog(db.pool, 1);
  const get = await closedLoop({
    concurrency: 64,
    durationMs: SIZE.windowMs,
    call: () => client.get('/v2/webhooks/benchWebhook1'),
  });
  record('GET webhook req/s', (get.ok / get.elapsedMs) * 1000);
  record('GET webhook p99 ms', percentile(get.latencies, 99));
  record('GET webhook non-2xx', get.errors5xx + get.otherErrors);
  await client.close();
  await stop(api.proc);
}

async function pglite(receiver: {
  url: string;
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
}): Promise<void> {
  // C2 on an in-process PGlite (one connection: transactions run one after another).
  const memory = await PGlite.create();
  await memory.exec('CREATE TABLE c2 (id bigint PRIMARY KEY, v int, at timestamptz)');
  let next = 0;
  const c2 = await closedLoop({
    concurrency: 1,
    durationMs: 3_000,
    call: async () => {
      await memory.transaction(async (tx) => {
        const id = next++;
        await tx.query('INSERT INTO c2 (id, v, at) VALUES ($1, 0, now())', [id]);
        await tx.query('UPDATE c2 SET v = v + 1 WHERE id = $1', [id]);
      });
      return 200;
    },
  });
  await memory.close();
  record('C2 PGlite insert+update tx/s', (c2.ok / c2.elapsedMs) * 1000);

  // `pnpm start`: API and worker in one process on the embedded database.
  for (const fanout of [1, 10]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-bench-pglite-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const server = await startRicochet([], { RICOCHET_DATA_DIR: dataDir, RICOCHET_ADMIN_TOKEN: TOKEN });
    const client = poster(server.baseUrl, 32, '/v2/events', TOKEN);
    const admin = new HttpPool(server.baseUrl);
    // The server binds its port before it creates the first admin (RICOCHET_ADMIN_TOKEN): wait
    // until the token works, or the webhooks below would not be created.
    const tokenWorks = await waitUntil(async () => (await client.get('/v2/users/me')) === 200, 60_000);
    if (!tokenWorks) throw new Error('the admin token of the PGlite server never worked');
    for (let index = 0; index < fanout; index++) {
      const hook = await admin.request({
        method: 'POST',
        path: '/v2/webhooks',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          eventTypes: ['ACTOR.RUN.SUCCEEDED'],
          requestUrl: `${receiver.url}/pglite/${index}`,
        }),
      });
      await hook.body.dump();
      if (hook.statusCode !== 201) throw new Error(`creating a webhook answered ${hook.statusCode}`);
    }
    await admin.close();
    await receiver.reset();
    const t0 = Date.now();
    const load = await closedLoop({
      concurrency: 32,
      durationMs: 120_000,
      maxCalls: Math.floor(SIZE.pgliteEvents / fanout),
      call: () => client.post(publishBody()),
    });
    record(`PGlite fo${fanout} publish events/s (while delivering)`, (load.ok / load.elapsedMs) * 1000);
    const expected = load.ok * fanout;
    const all = await waitUntil(async () => (await receiver.stats()).received >= expected, 120_000);
    const stats = await receiver.stats();
    if (!all) {
      // What stopped it: the dispatches still queued and the server's own warnings.
      const queued = await fetch(`${server.baseUrl}/v2/webhook-dispatches?status=ACTIVE&limit=3`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      }).then((response) => response.text());
      log(
        `PGlite fo${fanout}: ${stats.received} of ${expected} delivered; queued: ${queued.slice(0, 2_000)}`,
      );
      log(`server output:\n${server.proc.lines.slice(-30).join('\n')}`);
    }
    record(
      `PGlite fo${fanout} deliveries/s (publish + deliver, one process)`,
      all ? (stats.received / (stats.lastAt - t0)) * 1000 : Number.NaN,
    );
    await client.close();
    await stop(server.proc);
  }
}

/** 200 publishers for a while with two workers: no 5xx, everything accepted is delivered. */
async function crowd(
  db: { url: string; pool: pg.Pool },
  receiver: { url: string; stats(): Promise<ReceiverStats>; reset(): Promise<void> },
) {
  await resetRicochet(db.pool, receiver.url, 1);
  await receiver.reset();
  const api = await startRicochet(['--api'], { DATABASE_URL: db.url });
  const workers = await Promise.all(
    [0, 1].map(async () => (await startRicochet(['--worker'], { DATABASE_URL: db.url })).proc),
  );
  await waitForListeners(db.pool, 2);
  const client = poster(api.baseUrl, 200, '/v2/events', TOKEN);
  const load = await closedLoop({
    concurrency: 200,
    durationMs: SIZE.crowdMs,
    call: () => client.post(publishBody()),
  });
  const delivered = await waitUntil(
    async () => (await countRows(db.pool, RICOCHET_DONE)) >= load.ok,
    180_000,
    200,
  );
  record('crowd accepted', load.ok);
  record('crowd 5xx', load.errors5xx);
  record('crowd other errors', load.otherErrors);
  record('crowd all delivered (1 = yes)', delivered ? 1 : 0);
  record('crowd duplicates', (await receiver.stats()).duplicates);
  await client.close();
  await stop(api.proc, ...workers);
}

/** 5,000 dispatches with three workers; then again with a worker SIGKILLed every 2 s. */
async function duplicates(
  db: { url: string; pool: pg.Pool },
  receiver: { url: string; stats(): Promise<ReceiverStats>; reset(): Promise<void> },
) {
  for (const kill of [false, true]) {
    await resetRicochet(db.pool, receiver.url, 10);
    await receiver.reset();
    // A short lease so that a killed worker's claims come back within the run.
    const env = { DATABASE_URL: db.url, DELIVERY_LEASE_MS: '3000', DELIVERY_POLL_INTERVAL_MS: '500' };
    const workers = await Promise.all(
      [0, 1, 2].map(async () => (await startRicochet(['--worker'], env)).proc),
    );
    await waitForListeners(db.pool, 3);
    const total = await ricochetBacklog(db.pool, 500);
    let kills = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && (await countRows(db.pool, RICOCHET_DONE)) < total) {
      if (kill && kills < 20) {
        await sleep(2_000);
        const victim = workers.shift() as Proc;
        victim.child.kill('SIGKILL');
        kills++;
        workers.push((await startRicochet(['--worker'], env)).proc);
      } else {
        await sleep(100);
      }
    }
    const done = await countRows(db.pool, RICOCHET_DONE);
    const stats = await receiver.stats();
    const label = kill ? 'SIGKILL every 2 s' : 'no kills';
    record(`5,000 dispatches, 3 workers, ${label}: lost`, total - done);
    record(`5,000 dispatches, 3 workers, ${label}: duplicate deliveries`, stats.duplicates);
    if (kill) record('5,000 dispatches, 3 workers, SIGKILL every 2 s: kills', kills);
    await stop(...workers);
  }
}

async function rssRun(db: { url: string; pool: pg.Pool }, receiverUrl: string): Promise<void> {
  const half = Math.max(10, Math.floor(median('publish+deliver fo1 deliveries/s ricochet') / 2));
  await resetRicochet(db.pool, receiverUrl, 1);
  const api = await startRicochet(['--api'], { DATABASE_URL: db.url });
  const worker = (await startRicochet(['--worker'], { DATABASE_URL: db.url })).proc;
  await waitForListeners(db.pool, 1);
  const client = poster(api.baseUrl, 64, '/v2/events', TOKEN);
  log(`RSS run: ${half} events/s for ${SIZE.rssMs / 1000} s`);
  const load = await openLoop({
    ratePerSec: half,
    durationMs: SIZE.rssMs,
    call: () => client.post(publishBody()),
  });
  const rss = (pid: number | undefined) =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  record('RSS run rate events/s', half);
  record('RSS run 5xx', load.errors5xx);
  record('RSS API MiB', rss(api.proc.child.pid));
  record('RSS worker MiB', rss(worker.child.pid));
  await client.close();
  await stop(api.proc, worker);
}

// ---------------------------------------------------------------- report
function versions(): Record<string, string> {
  const pkg = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(SERVER_DIR, 'node_modules', name, 'package.json'), 'utf8'))
        .version as string;
    } catch {
      return '?';
    }
  };
  return {
    node: process.version,
    postgres: '',
    pglite: pkg('@electric-sql/pglite'),
    prisma: pkg('@prisma/client'),
    fastify: pkg('fastify'),
    undici: pkg('undici'),
  };
}

function writeReport(meta: { postgres: string; command: string; busy: string; minutes: number }): void {
  const v = versions();
  const row = (label: string, ricochetKey: string, ceilingKey: string, digits = 0) =>
    `| ${label} | ${summary(ricochetKey, digits)} | ${summary(ceilingKey, digits)} | ${ratio(ricochetKey, ceilingKey)} |`;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`${meta.command}\` (bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${meta.minutes.toFixed(1)} minutes.`,
    `Figures are the median of ${REPS} interleaved repetition${REPS > 1 ? 's' : ''}${REPS > 1 ? ' with (min–max)' : ''}; ceilings come from the same run.`,
    '',
    `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${(freemem() / 2 ** 30).toFixed(0)} GiB free at the end), ${platform()} ${release()}.`,
    `- Versions: Node ${v.node}, ${meta.postgres}, PGlite ${v.pglite}, Prisma ${v.prisma}, Fastify ${v.fastify}, undici ${v.undici}.`,
    `- Load on the machine besides the benchmark: ${meta.busy}`,
    '- Everything runs on the same machine: PostgreSQL (synchronous commit), the receiver (its own process, answers 204), the Ricochet processes and the load generator.',
    '- Ricochet processes run with `LOG_LEVEL=warn` and `DELIVERY_MAX_CONCURRENT_PER_HOST=100` (every webhook points at one receiver; the per-host bound is a fairness guard between customers, default 10); the other settings are the defaults (`DELIVERY_CONCURRENCY=100`, `DELIVERY_BATCH_SIZE=50`, pool of 10).',
    '',
    '## Ceilings',
    '',
    '| ceiling | figure |',
    '| --- | --- |',
    `| C1: undici POST/s to the receiver, 100 connections | ${summary('C1 undici POST/s')} |`,
    `| C2: PostgreSQL single-row insert + update transactions/s, 10 connections | ${summary('C2 PostgreSQL insert+update tx/s (10 connections)')} |`,
    `| C2: PGlite insert + update transactions/s (one connection) | ${summary('C2 PGlite insert+update tx/s')} |`,
    '| C3: the minimal pipeline (bench/minimal-pipeline.ts): see the Ricochet tables | |',
    '',
    '## Delivery on PostgreSQL (deliveries/s)',
    '',
    `Draining a backlog (${SIZE.backlogEvents.toLocaleString('en-US')} events at fan-out 1, ${Math.floor(SIZE.backlogEvents / 5).toLocaleString('en-US')} at fan-out 10), committed at once; timed from the commit until every dispatch is recorded SUCCEEDED. Publish + deliver: ${SIZE.publishDeliverDeliveries.toLocaleString('en-US')} deliveries' worth of events published by 32 concurrent publishers while one worker delivers, timed from the first publish to the last receipt.`,
    '',
    '| workload | Ricochet | C3 minimal pipeline | ratio |',
    '| --- | --- | --- | --- |',
    ...SIZE.workerCounts.flatMap((workers) =>
      [1, 10].map((fanout) =>
        row(
          `drain, fan-out ${fanout}, ${workers} worker${workers > 1 ? 's' : ''}`,
          `drain fo${fanout} w${workers} ricochet`,
          `drain fo${fanout} w${workers} c3`,
        ),
      ),
    ),
    ...[1, 10].map((fanout) =>
      row(
        `publish + deliver, fan-out ${fanout}, 32 publishers, 1 worker (deliveries/s)`,
        `publish+deliver fo${fanout} deliveries/s ricochet`,
        `publish+deliver fo${fanout} deliveries/s c3`,
      ),
    ),
    ...[1, 10].map((fanout) =>
      row(
        `… its publish rate (events/s)`,
        `publish+deliver fo${fanout} events/s ricochet`,
        `publish+deliver fo${fanout} events/s c3`,
      ),
    ),
    '',
    '## Publishing on PostgreSQL',
    '',
    '| workload | Ricochet | C3 (bare node:http + pg) | ratio |',
    '| --- | --- | --- | --- |',
    row(
      'publish alone, fan-out 1, 32 concurrent publishers (events/s)',
      'publish alone ricochet',
      'publish alone c3',
    ),
    row('… 5xx answers', 'publish alone 5xx ricochet', 'publish alone 5xx c3'),
    row(
      'publish + deliver fan-out 1: 5xx answers',
      'publish+deliver fo1 5xx ricochet',
      'publish+deliver fo1 5xx c3',
    ),
    row(
      'publish + deliver fan-out 10: 5xx answers',
      'publish+deliver fo10 5xx ricochet',
      'publish+deliver fo10 5xx c3',
    ),
    ...[50, 90, 99].map((p) =>
      row(
        `publish → receipt at 100 events/s, fan-out 1, 1 worker: p${p} (ms)`,
        `latency p${p} ms ricochet`,
        `latency p${p} ms c3`,
        1,
      ),
    ),
    '',
    '| Ricochet API | figure |',
    '| --- | --- |',
    `| publish one event matching 1,000 webhooks, ${SIZE.bigFanoutPublishes} one after another after 5 unmeasured warm-up publishes: p50 (ms) | ${summary('publish to 1,000 webhooks p50 ms', 1)} |`,
    `| publish one event matching 1,000 webhooks: p99 (ms) | ${summary('publish to 1,000 webhooks p99 ms', 1)} |`,
    `| GET /v2/webhooks/:id, 64 connections (requests/s) | ${summary('GET webhook req/s')} |`,
    `| GET /v2/webhooks/:id, 64 connections: p99 (ms) | ${summary('GET webhook p99 ms', 1)} |`,
    `| GET /v2/webhooks/:id: non-2xx answers | ${summary('GET webhook non-2xx')} |`,
    '',
    '## PGlite (`pnpm start`: API and worker in one process, embedded database)',
    '',
    '| workload | figure |',
    '| --- | --- |',
    ...[1, 10].flatMap((fanout) => [
      `| fan-out ${fanout}: ${Math.floor(SIZE.pgliteEvents / fanout).toLocaleString('en-US')} events published by 32 concurrent publishers while it delivers: deliveries/s (first publish → last receipt) | ${summary(`PGlite fo${fanout} deliveries/s (publish + deliver, one process)`)} |`,
      `| … its publish rate (events/s) | ${summary(`PGlite fo${fanout} publish events/s (while delivering)`)} |`,
    ]),
    `| ceiling C2 on PGlite (insert + update tx/s) | ${summary('C2 PGlite insert+update tx/s')} |`,
    '',
    '## Robustness (PostgreSQL)',
    '',
    '| run | figure |',
    '| --- | --- |',
    `| 200 concurrent publishers for ${SIZE.crowdMs / 1000} s, 2 workers: events accepted | ${summary('crowd accepted')} |`,
    `| … 5xx answers | ${summary('crowd 5xx')} |`,
    `| … other errors | ${summary('crowd other errors')} |`,
    `| … every accepted event delivered (1 = yes) | ${summary('crowd all delivered (1 = yes)')} |`,
    `| … duplicate deliveries | ${summary('crowd duplicates')} |`,
    `| 5,000 dispatches, 3 workers, no kills: lost / duplicates | ${summary('5,000 dispatches, 3 workers, no kills: lost')} / ${summary('5,000 dispatches, 3 workers, no kills: duplicate deliveries')} |`,
    `| 5,000 dispatches, 3 workers, a worker SIGKILLed every 2 s (${summary('5,000 dispatches, 3 workers, SIGKILL every 2 s: kills')} kills): lost / duplicates | ${summary('5,000 dispatches, 3 workers, SIGKILL every 2 s: lost')} / ${summary('5,000 dispatches, 3 workers, SIGKILL every 2 s: duplicate deliveries')} |`,
    '',
    `## Memory after ${SIZE.rssMs >= 60_000 ? `${SIZE.rssMs / 60_000} minutes` : `${SIZE.rssMs / 1000} seconds`} at half the maximum rate (${summary('RSS run rate events/s')} events/s, fan-out 1, PostgreSQL)`,
    '',
    '| process | RSS (MiB) |',
    '| --- | --- |',
    `| API | ${summary('RSS API MiB')} |`,
    `| worker | ${summary('RSS worker MiB')} |`,
    `| 5xx answers during the run | ${summary('RSS run 5xx')} |`,
    '',
    '## Targets (issue 8)',
    '',
    '| target | measured (median) | met |',
    '| --- | --- | --- |',
    ...SIZE.workerCounts.flatMap((workers) =>
      [1, 10].map((fanout) => {
        const value =
          median(`drain fo${fanout} w${workers} ricochet`) / median(`drain fo${fanout} w${workers} c3`);
        return `| drain, fan-out ${fanout}, ${workers} worker(s): ≥ 0.8 × C3 | ${value.toFixed(2)} × C3 | ${value >= 0.8 ? 'yes' : 'no'} |`;
      }),
    ),
    ...[1, 10].map((fanout) => {
      const value =
        median(`publish+deliver fo${fanout} deliveries/s ricochet`) /
        median(`publish+deliver fo${fanout} deliveries/s c3`);
      return `| publish + deliver, fan-out ${fanout}: ≥ 0.8 × C3 | ${value.toFixed(2)} × C3 | ${value >= 0.8 ? 'yes' : 'no'} |`;
    }),
    `| publish → receipt at 100 events/s: p50 ≤ 5 ms, p99 ≤ 25 ms | p50 ${median('latency p50 ms ricochet').toFixed(1)} ms, p99 ${median('latency p99 ms ricochet').toFixed(1)} ms (C3: ${median('latency p50 ms c3').toFixed(1)} / ${median('latency p99 ms c3').toFixed(1)} ms) | ${median('latency p50 ms ricochet') <= 5 && median('latency p99 ms ricochet') <= 25 ? 'yes' : 'no'} |`,
    `| one event to 1,000 webhooks: publish p99 ≤ 60 ms | ${median('publish to 1,000 webhooks p99 ms').toFixed(1)} ms | ${median('publish to 1,000 webhooks p99 ms') <= 60 ? 'yes' : 'no'} |`,
    `| 200 concurrent publishers for ${SIZE.crowdMs / 1000} s: zero 5xx, every accepted event delivered | ${median('crowd 5xx')} 5xx, all delivered: ${median('crowd all delivered (1 = yes)') === 1 ? 'yes' : 'no'} | ${median('crowd 5xx') === 0 && median('crowd all delivered (1 = yes)') === 1 ? 'yes' : 'no'} |`,
    `| 5,000 dispatches, 3 workers, no kills: zero duplicates | ${median('5,000 dispatches, 3 workers, no kills: duplicate deliveries')} | ${median('5,000 dispatches, 3 workers, no kills: duplicate deliveries') === 0 ? 'yes' : 'no'} |`,
    `| … a worker SIGKILLed every 2 s: zero lost (duplicates counted) | ${median('5,000 dispatches, 3 workers, SIGKILL every 2 s: lost')} lost, ${median('5,000 dispatches, 3 workers, SIGKILL every 2 s: duplicate deliveries')} duplicates | ${median('5,000 dispatches, 3 workers, SIGKILL every 2 s: lost') === 0 ? 'yes' : 'no'} |`,
    `| \`pnpm start\` on PGlite: ≥ 500 deliveries/s | fan-out 1: ${median('PGlite fo1 deliveries/s (publish + deliver, one process)').toFixed(0)}/s, fan-out 10: ${median('PGlite fo10 deliveries/s (publish + deliver, one process)').toFixed(0)}/s | ${Math.min(median('PGlite fo1 deliveries/s (publish + deliver, one process)'), median('PGlite fo10 deliveries/s (publish + deliver, one process)')) >= 500 ? 'yes' : 'no'} |`,
    '',
    '## All figures (every repetition)',
    '',
    '```',
    ...[...results.entries()].map(
      ([key, values]) =>
        `${key}: ${values.map((value) => (Number.isFinite(value) ? value.toFixed(1) : String(value))).join(', ')}`,
    ),
    '```',
    '',
  ];
  writeFileSync(join(ROOT_DIR, QUICK ? 'BENCHMARKS.quick.md' : 'BENCHMARKS.md'), lines.join('\n'));
}

async function main(): Promise<void> {
  const busy = execFileSync('uptime', { encoding: 'utf8' }).trim();
  const serverUrl = await ensurePostgres();
  const versionClient = new pg.Client({ connectionString: serverUrl });
  await versionClient.connect();
  const postgres = String((await versionClient.query('SHOW server_version')).rows[0].server_version).split(
    ' ',
  )[0];
  await versionClient.end();

  const ricochet = await createDatabase(serverUrl, 'ricochet_bench');
  await applyMigrationsToPostgres(ricochet.url);
  const c3 = await createDatabase(serverUrl, 'ricochet_bench_c3');
  const setup = startNode(['bench/minimal-pipeline.ts', '--setup'], { DATABASE_URL: c3.url });
  await new Promise((resolve) => setup.child.once('exit', resolve));
  const receiver = await startReceiver();
  const dbs = { ricochet, c3 };

  for (let rep = 1; rep <= REPS; rep++) {
    log(`repetition ${rep} of ${REPS}`);
    if (wanted('ceilings')) await ceilings(receiver, ricochet.url, rep);
    if (wanted('drains')) await drains(dbs, receiver.url);
    if (wanted('publishing')) await publishing(dbs, receiver);
    if (wanted('api')) await ricochetApiFigures(ricochet, receiver.url);
    if (wanted('pglite')) await pglite(receiver);
  }
  if (wanted('crowd')) await crowd(ricochet, receiver);
  if (wanted('duplicates')) await duplicates(ricochet, receiver);
  if (wanted('rss')) await rssRun(ricochet, receiver.url);

  await stop(receiver.proc);
  await ricochet.pool.end();
  await c3.pool.end();
  if (ONLY) return;
  writeReport({
    postgres: `PostgreSQL ${postgres}`,
    command: QUICK ? 'pnpm bench --quick' : 'pnpm bench',
    busy: `\`uptime\` at the start: ${busy}`,
    minutes: (Date.now() - STARTED) / 60_000,
  });
  log(`wrote ${QUICK ? 'BENCHMARKS.quick.md' : 'BENCHMARKS.md'}`);
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
