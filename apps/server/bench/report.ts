import { readFileSync } from 'node:fs';
import { cpus, freemem, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allResults, format, median, ratio, summary } from './lib/results.ts';
import { HISTORY_FIGURES } from './scenarios/history.ts';
import { HISTORY_TABLES } from './scenarios/storage.ts';

/**
 * Bytes per delivery before issue 17's compact history (commit 8134f47, this storage scenario run on
 * it with 20,000 deliveries, on this machine, 2026-12-03): the figure the cut is measured against.
 * (At 5,000 deliveries, as first measured, the same commit gave 2,084-2,091: what each table gets
 * once, its free-space and visibility maps and first index pages, was about 45 bytes of that.)
 */
export const BYTES_BEFORE = {
  tables: {
    Event: { table: 433, indexes: 94 },
    Dispatch: { table: 151, indexes: 117 },
    DispatchCall: { table: 1172, indexes: 73 },
  } as Record<string, { table: number; indexes: number }>,
  total: 2040,
  fanout10Total: 1586,
  indexEntries: 8,
};

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

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
    pglite: pkg('@electric-sql/pglite'),
    prisma: pkg('@prisma/client'),
    fastify: pkg('fastify'),
    undici: pkg('undici'),
    graphile: pkg('graphile-worker'),
  };
}

type Size = {
  reps: number;
  backlogEvents: number;
  workerCounts: number[];
  publishDeliverDeliveries: number;
  bigFanoutPublishes: number;
  pgliteEvents: number;
  crowdMs: number;
  rssMs: number;
  batchWebhooks: number;
  batchEvents: number;
  fairnessProbes: number;
  storageDeliveries: number;
  historyRows: number;
  historyDrainEvents: number;
};

const THRESHOLD = 0.9;
const yes = (met: boolean) => (met ? 'yes' : '**no**');
const cpuOf = (key: string, groups: string[]) =>
  groups.map((group) => format(median(`${key} cpu ${group}`), 3)).join(' / ');

/** BENCHMARKS.md from the figures the run recorded (see lib/results.ts). */
export function writeReport(meta: {
  command: string;
  postgres: string;
  busy: string;
  minutes: number;
  size: Size;
}): string {
  const v = versions();
  const { size } = meta;
  const workers = size.workerCounts;
  const drainRows = workers.flatMap((w) =>
    [1, 10].map((fo) => {
      const key = (system: string) => `drain fo${fo} w${w} ${system}`;
      return `| drain, fan-out ${fo}, ${w} worker${w > 1 ? 's' : ''} | ${summary(key('ricochet'))} | ${summary(key('minimal'))} | ${format(ratio(key('ricochet'), key('minimal')), 2)} | ${cpuOf(key('ricochet'), ['workers', 'postgres', 'receiver', 'total'])} | ${cpuOf(key('minimal'), ['workers', 'postgres', 'receiver', 'total'])} |`;
    }),
  );
  const publishRows = workers.flatMap((w) =>
    [1, 10].map((fo) => {
      const key = (system: string) => `publish+deliver fo${fo} w${w} ${system}`;
      const groups = ['processes', 'postgres', 'receiver', 'load generator', 'total'];
      return `| publish + deliver, fan-out ${fo}, ${w} worker${w > 1 ? 's' : ''} | ${summary(key('ricochet'))} | ${summary(key('minimal'))} | ${format(ratio(key('ricochet'), key('minimal')), 2)} | ${cpuOf(key('ricochet'), groups)} | ${cpuOf(key('minimal'), groups)} |`;
    }),
  );
  const ratios = [
    ...workers.flatMap((w) =>
      [1, 10].map((fo) => [`drain, fan-out ${fo}, ${w} worker(s)`, `drain fo${fo} w${w}`] as const),
    ),
    ...workers.flatMap((w) =>
      [1, 10].map(
        (fo) =>
          [`publish + deliver, fan-out ${fo}, ${w} worker(s)`, `publish+deliver fo${fo} w${w}`] as const,
      ),
    ),
  ].map(([label, key]) => ({ label, value: ratio(`${key} ricochet`, `${key} minimal`) }));
  const below = ratios.filter((row) => !(row.value >= THRESHOLD));
  const jobQueueRows = workers.map((w) => {
    const ricochet = median(`drain fo1 w${w} ricochet`);
    const queue = median(`drain fo1 w${w} jobqueue`);
    return { w, ricochet, queue, met: ricochet > queue };
  });
  const scaling = (system: string, fo: number) =>
    workers.map((w) => format(median(`drain fo${fo} w${w} ${system}`))).join(' / ');
  const scalingMet = [1, 10].every((fo) =>
    workers.every(
      (w) => median(`drain fo${fo} w${w} ricochet`) >= 0.95 * median(`drain fo${fo} w1 ricochet`),
    ),
  );
  const pgliteLow = Math.min(
    median('PGlite fo1 deliveries/s (publish + deliver, one process)'),
    median('PGlite fo10 deliveries/s (publish + deliver, one process)'),
  );

  const lines = [
    '# Benchmarks',
    '',
    `Written by \`${meta.command}\` (apps/server/bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, in ${meta.minutes.toFixed(1)} minutes. Figures are the median of ${size.reps} interleaved repetition${size.reps > 1 ? 's with (min–max)' : ''}; the ceilings ran in the same run, on the same database server and receiver.`,
    '',
    `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB (${(freemem() / 2 ** 30).toFixed(0)} GiB free at the end), ${platform()} ${release()}.`,
    `- Database: ${meta.postgres}. Versions: Node ${v.node}, PGlite ${v.pglite}, Prisma ${v.prisma}, Fastify ${v.fastify}, undici ${v.undici}, graphile-worker ${v.graphile}.`,
    `- Load on the machine besides the benchmark: ${meta.busy}.`,
    '- Everything runs on these cores: PostgreSQL, the receiver (its own process, answers 204), the systems measured and the load generator. CPU ms per delivery is counted per process from /proc (PostgreSQL: every process of its cluster), so it holds when the machine is busy; deliveries/s does not.',
    '- Ricochet runs with `LOG_LEVEL=warn` and `DELIVERY_MAX_CONCURRENT_PER_HOST=1000` (every benchmark webhook points at one receiver, and the per-host bound, 10 by default, would be what is measured); the rest are its defaults (`DELIVERY_CONCURRENCY=100`, `DELIVERY_BATCH_SIZE=50`).',
    '',
    '## The ceilings',
    '',
    '- **The minimal pipeline** (bench/pipelines/minimal.ts) does the same durable work as Ricochet in the fewest, cheapest steps, by hand: a bare node:http publish endpoint whose concurrent publishes share statements (one statement stores the events and their dispatches and NOTIFYs); one statement claims 50 due rows (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 50) RETURNING ...`, the lease being the row pushed a minute ahead); each is POSTed, signed, with an undici keep-alive pool; every delivery that finished meanwhile is recorded in one statement for the dispatch rows and the call rows, from `unnest()` arrays. No tenants, fairness, templates, limits, stored requests, validation or auth.',
    '- **A job queue** doing delivery the plain way: graphile-worker with one job per POST, tuned as its documentation advises for throughput (100 concurrent jobs, a local queue, batched completion).',
    `- **C1**, undici POSTing to the receiver over 100 connections: ${summary('C1 undici POST/s')} POST/s. **C2 on PGlite** (one connection): ${summary('C2 PGlite insert+update tx/s')} insert + update transactions/s.`,
    '',
    '## Delivery on PostgreSQL: Ricochet against the minimal pipeline (deliveries/s)',
    '',
    `Draining: a backlog of ${size.backlogEvents.toLocaleString('en-US')} events at fan-out 1 (${Math.floor(size.backlogEvents / 5).toLocaleString('en-US')} at fan-out 10) committed at once, timed from the commit until every dispatch is recorded delivered. Publish + deliver: ${size.publishDeliverDeliveries.toLocaleString('en-US')} deliveries' worth of events published by 32 concurrent publishers through each system's API while its workers deliver, timed from the first publish to the last receipt. CPU ms per delivery: workers (or for publish + deliver every process of the system, API included) / PostgreSQL / receiver (/ load generator) / total.`,
    '',
    '| workload | Ricochet | minimal pipeline | ratio | Ricochet CPU ms per delivery | minimal CPU ms per delivery |',
    '| --- | --- | --- | --- | --- | --- |',
    ...drainRows,
    ...publishRows,
    '',
    `More workers on one database, draining (deliveries/s at ${workers.join(' / ')} workers): Ricochet fan-out 1 ${scaling('ricochet', 1)}, fan-out 10 ${scaling('ricochet', 10)}; the minimal pipeline fan-out 1 ${scaling('minimal', 1)}, fan-out 10 ${scaling('minimal', 10)}.`,
    '',
    '## Against a job queue that POSTs once per job (draining, fan-out 1)',
    '',
    '| workers | Ricochet (deliveries/s) | graphile-worker (jobs/s) | Ricochet CPU ms per delivery (workers / PostgreSQL / receiver / total) | graphile-worker CPU ms per job |',
    '| --- | --- | --- | --- | --- |',
    ...workers.map(
      (w) =>
        `| ${w} | ${summary(`drain fo1 w${w} ricochet`)} | ${summary(`drain fo1 w${w} jobqueue`)} | ${cpuOf(`drain fo1 w${w} ricochet`, ['workers', 'postgres', 'receiver', 'total'])} | ${cpuOf(`drain fo1 w${w} jobqueue`, ['workers', 'postgres', 'receiver', 'total'])} |`,
    ),
    '',
    '## Fairness: what one tenant does to another',
    '',
    `The other tenant publishes ${size.fairnessProbes} events, one at a time, while the first tenant's trouble goes on; each is timed from its publish to its receipt at the other tenant's own endpoint (another host:port), on one worker.`,
    '',
    '| scenario | other tenant delivered | p50 (ms) | p99 (ms) | notes |',
    '| --- | --- | --- | --- | --- |',
    `| a tenant's endpoint accepts connections and never answers, 300 events queued for it (defaults: 100 calls at once, 10 per host, 30 s timeout) | ${summary(`fairness: hanging endpoint delivered of ${size.fairnessProbes}`)} of ${size.fairnessProbes} | ${summary('fairness: hanging endpoint p50 ms', 1)} | ${summary('fairness: hanging endpoint p99 ms', 1)} | calls held open at the hanging endpoint: ${summary('fairness: hanging endpoint, calls held open')} (its bound) |`,
    `| one batch of ${size.batchEvents.toLocaleString('en-US')} events to ${size.batchWebhooks.toLocaleString('en-US')} webhooks of a tenant (${(size.batchEvents * size.batchWebhooks).toLocaleString('en-US')} dispatches) | ${summary(`fairness: big batch delivered of ${size.fairnessProbes}`)} of ${size.fairnessProbes} | ${summary('fairness: big batch p50 ms', 1)} | ${summary('fairness: big batch p99 ms', 1)} | the batch request took ${summary('fairness: batch request seconds', 1)} s; its tenant got ${summary('fairness: big batch, its deliveries meanwhile')} deliveries meanwhile |`,
    '',
    '## Publishing on PostgreSQL',
    '',
    '| workload | Ricochet | minimal pipeline | ratio |',
    '| --- | --- | --- | --- |',
    `| publish alone, fan-out 1, 32 concurrent publishers (events/s) | ${summary('publish alone ricochet')} | ${summary('publish alone minimal')} | ${format(ratio('publish alone ricochet', 'publish alone minimal'), 2)} |`,
    `| … CPU ms per event: API / PostgreSQL / load generator / total | ${cpuOf('publish alone ricochet', ['processes', 'postgres', 'load generator', 'total'])} | ${cpuOf('publish alone minimal', ['processes', 'postgres', 'load generator', 'total'])} | |`,
    ...[50, 90, 99].map(
      (p) =>
        `| publish → receipt at 100 events/s, fan-out 1, 1 worker: p${p} (ms) | ${summary(`latency p${p} ms ricochet`, 1)} | ${summary(`latency p${p} ms minimal`, 1)} | |`,
    ),
    '',
    '| Ricochet API | figure |',
    '| --- | --- |',
    `| publish one event matching 1,000 webhooks, ${size.bigFanoutPublishes} one after another after 5 unmeasured warm-up publishes: p50 / p99 (ms) | ${summary('publish to 1,000 webhooks p50 ms', 1)} / ${summary('publish to 1,000 webhooks p99 ms', 1)} |`,
    `| GET /v2/webhooks/:id, 64 connections: requests/s, p99 (ms), non-2xx | ${summary('GET webhook req/s')}, ${summary('GET webhook p99 ms', 1)}, ${summary('GET webhook non-2xx')} |`,
    '',
    '## PGlite (`pnpm start`: API and worker in one process, embedded database)',
    '',
    '| workload | figure |',
    '| --- | --- |',
    ...[1, 10].flatMap((fo) => [
      `| fan-out ${fo}: ${Math.floor(size.pgliteEvents / fo).toLocaleString('en-US')} events published by 32 concurrent publishers while it delivers: deliveries/s (first publish → last receipt) | ${summary(`PGlite fo${fo} deliveries/s (publish + deliver, one process)`)} |`,
      `| … its publish rate (events/s) | ${summary(`PGlite fo${fo} publish events/s (while delivering)`)} |`,
    ]),
    '',
    '## Tracing: OpenTelemetry off and on (issue 19)',
    '',
    'One worker (and, publishing, one API process), in turns off / on: on records every trace (`OTEL_TRACES_SAMPLE_RATIO=1`) and exports it by OTLP/HTTP to a collector on loopback that discards it (`--only=tracing`). Draining makes a claim span per batch and a claim span and an attempt span per delivery; publishing adds a publish span per event.',
    '',
    '| workload (deliveries/s) | off | on | on ÷ off |',
    '| --- | --- | --- | --- |',
    ...(['drain fo1 w1', 'publish+deliver fo1 w1'] as const).map(
      (workload) =>
        `| ${workload} | ${summary(`tracing off: ${workload}`)} | ${summary(`tracing on: ${workload}`)} | ${format(ratio(`tracing on: ${workload}`, `tracing off: ${workload}`), 2)} |`,
    ),
    `| OTLP sent while on: requests / MB (per turn) | | ${summary('tracing on: OTLP requests')} / ${summary('tracing on: OTLP MB', 1)} | |`,
    '',
    '## Robustness (PostgreSQL)',
    '',
    '| run | figure |',
    '| --- | --- |',
    `| 200 concurrent publishers for ${size.crowdMs / 1000} s, 2 workers: accepted / 5xx / other errors / all delivered (1 = yes) / duplicates | ${summary('crowd accepted')} / ${summary('crowd 5xx')} / ${summary('crowd other errors')} / ${summary('crowd all delivered (1 = yes)')} / ${summary('crowd duplicates')} |`,
    `| 5,000 dispatches, 3 workers, no kills: lost / duplicates | ${summary('5,000 dispatches, 3 workers, no kills: lost')} / ${summary('5,000 dispatches, 3 workers, no kills: duplicate deliveries')} |`,
    `| … a worker SIGKILLed every 2 s (${summary('5,000 dispatches, 3 workers, SIGKILL every 2 s: kills')} kills): lost / duplicates | ${summary('5,000 dispatches, 3 workers, SIGKILL every 2 s: lost')} / ${summary('5,000 dispatches, 3 workers, SIGKILL every 2 s: duplicate deliveries')} |`,
    `| RSS after ${size.rssMs >= 60_000 ? `${size.rssMs / 60_000} minutes` : `${size.rssMs / 1000} s`} at half the maximum rate (${summary('RSS run rate events/s')} events/s): API / worker (MiB), 5xx | ${summary('RSS API MiB')} / ${summary('RSS worker MiB')}, ${summary('RSS run 5xx')} |`,
    '',
    '## Bytes per delivery (issue 17)',
    '',
    `${size.storageDeliveries.toLocaleString('en-US')} events of about 250 bytes (Apify's ACTOR.RUN.SUCCEEDED with its resource) published through the API to one webhook with a secret and delivered once each; what each table grew by (pg_table_size, TOAST included, and pg_indexes_size), per delivery. "Before" is the same scenario on commit 8134f47, before the compact history (\`pnpm bench --only=storage\`).`,
    '',
    '| table | before: rows / indexes (bytes) | now: rows / indexes (bytes) |',
    '| --- | --- | --- |',
    ...HISTORY_TABLES.map(
      (table) =>
        `| ${table} | ${format(BYTES_BEFORE.tables[table]?.table ?? Number.NaN)} / ${format(BYTES_BEFORE.tables[table]?.indexes ?? Number.NaN)} | ${summary(`bytes per delivery ${table} table`)} / ${summary(`bytes per delivery ${table} indexes`)} |`,
    ),
    `| **total** | **${format(BYTES_BEFORE.total)}** | **${summary('bytes per delivery total')}** (${format(median('bytes per delivery total') / BYTES_BEFORE.total, 2)} ×) |`,
    '',
    `At fan-out 10 (an event shared by 10 deliveries): ${summary('bytes per delivery (fan-out 10) total')} bytes per delivery, before ${format(BYTES_BEFORE.fanout10Total)}. B-tree entries a delivery leaves in the history's indexes: ${summary('index entries per delivery (history)', 1)} (before ${format(BYTES_BEFORE.indexEntries, 1)}). The queue's rows are deleted as dispatches finish (their space is reused): it grew by ${summary('bytes per delivery DispatchQueue (reused space)')} bytes per delivery over the run.`,
    '',
    '## Cost against history (issue 17)',
    '',
    `One tenant's figures on a database without history and on one with ${size.historyRows.toLocaleString('en-US')} finished dispatches (each with its event and a call) of 1,000 other tenants, generated in SQL over the last 3 days (loaded in ${summary(`history load seconds (${size.historyRows.toLocaleString('en-US')} rows)`)} s), measured in turn (empty then loaded, then loaded then empty, ...); the ratio is the median of each turn's loaded / empty. Drain: a backlog of ${size.historyDrainEvents.toLocaleString('en-US')} events, one worker. Publish: fan-out 1, 32 publishers, nothing delivering. Dashboard: each page's queries back to back on one connection (\`--only=history\`, \`--history-rows=N\`).`,
    '',
    '| figure | empty | with history | ratio |',
    '| --- | --- | --- | --- |',
    ...HISTORY_FIGURES.map(
      (figure) =>
        `| ${figure} | ${summary(`history empty: ${figure}`)} | ${summary(`history loaded: ${figure}`)} | ${format(median(`history loaded / empty: ${figure}`), 2)} |`,
    ),
    '',
    '## Targets (issue 15)',
    '',
    '| target | measured (median) | met |',
    '| --- | --- | --- |',
    ...ratios.map(
      (row) =>
        `| ${row.label}: ≥ ${THRESHOLD} × the minimal pipeline | ${format(row.value, 2)} × | ${yes(row.value >= THRESHOLD)} |`,
    ),
    ...jobQueueRows.map(
      (row) =>
        `| draining, ${row.w} worker(s): more deliveries/s than the job queue | ${format(row.ricochet)} vs ${format(row.queue)} | ${yes(row.met)} |`,
    ),
    `| more workers never lower throughput on one database (draining, every worker count ≥ 0.95 × one worker) | fan-out 1: ${scaling('ricochet', 1)}; fan-out 10: ${scaling('ricochet', 10)} | ${yes(scalingMet)} |`,
    `| a hanging endpoint delays another tenant's new events well under a second (p99 < 1,000 ms, all delivered) | p99 ${format(median('fairness: hanging endpoint p99 ms'), 1)} ms | ${yes(median('fairness: hanging endpoint p99 ms') < 1000)} |`,
    `| a ${(size.batchEvents * size.batchWebhooks).toLocaleString('en-US')}-dispatch batch delays another tenant's new events well under a second | p99 ${format(median('fairness: big batch p99 ms'), 1)} ms | ${yes(median('fairness: big batch p99 ms') < 1000)} |`,
    `| publish → receipt at 100 events/s: p99 ≤ 25 ms | p50 ${format(median('latency p50 ms ricochet'), 1)} ms, p99 ${format(median('latency p99 ms ricochet'), 1)} ms | ${yes(median('latency p99 ms ricochet') <= 25)} |`,
    `| one event to 1,000 webhooks: publish p99 ≤ 60 ms | ${format(median('publish to 1,000 webhooks p99 ms'), 1)} ms | ${yes(median('publish to 1,000 webhooks p99 ms') <= 60)} |`,
    `| 200 concurrent publishers: zero 5xx, every accepted event delivered | ${median('crowd 5xx')} 5xx, all delivered: ${median('crowd all delivered (1 = yes)') === 1 ? 'yes' : 'no'} | ${yes(median('crowd 5xx') === 0 && median('crowd all delivered (1 = yes)') === 1)} |`,
    `| 5,000 dispatches, 3 workers, no kills: zero duplicates | ${median('5,000 dispatches, 3 workers, no kills: duplicate deliveries')} | ${yes(median('5,000 dispatches, 3 workers, no kills: duplicate deliveries') === 0)} |`,
    `| … a worker SIGKILLed every 2 s: zero lost | ${median('5,000 dispatches, 3 workers, SIGKILL every 2 s: lost')} lost | ${yes(median('5,000 dispatches, 3 workers, SIGKILL every 2 s: lost') === 0)} |`,
    `| \`pnpm start\` on PGlite: ≥ 500 deliveries/s at fan-out 1 and 10 | ${format(pgliteLow)}/s | ${yes(pgliteLow >= 500)} |`,
    ...(['drain fo1 w1', 'publish+deliver fo1 w1'] as const).map((workload) => {
      const value = ratio(`tracing on: ${workload}`, `tracing off: ${workload}`);
      return `| tracing on, ${workload}: ≥ 0.9 × off (issue 19) | ${format(value, 2)} × | ${yes(value >= 0.9)} |`;
    }),
    `| bytes per delivery at most half of before (issue 17) | ${format(median('bytes per delivery total'))} of ${format(BYTES_BEFORE.total)} | ${yes(median('bytes per delivery total') <= BYTES_BEFORE.total / 2)} |`,
    ...HISTORY_FIGURES.map((figure) => {
      const value = median(`history loaded / empty: ${figure}`);
      return `| with ${size.historyRows.toLocaleString('en-US')} finished dispatches, ${figure} ≥ 0.9 × empty (issue 17) | ${format(value, 2)} × | ${yes(value >= 0.9)} |`;
    }),
    '',
    `Below ${THRESHOLD} × the minimal pipeline in this run: ${below.length === 0 ? 'nothing.' : below.map((row) => `${row.label} (${format(row.value, 2)})`).join('; ')}. Why Ricochet costs more than the minimal pipeline per delivery, and where: see "Where the time goes" in README.md.`,
    '',
    '## All figures (every repetition)',
    '',
    '```',
    ...[...allResults().entries()].map(
      ([key, values]) =>
        `${key}: ${values.map((value) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 3 : 1) : String(value))).join(', ')}`,
    ),
    '```',
    '',
  ];
  return lines.join('\n');
}
