// A general-purpose job queue doing webhook delivery the plain way: graphile-worker with one job per
// delivery, whose task POSTs the payload (undici, keep-alive, signed like the minimal pipeline) and
// returns; a failed POST throws, and graphile-worker retries it. Set up for throughput as its own
// documentation advises: 100 concurrent jobs, a local queue (jobs fetched in batches), completions
// written in batches. The benchmark compares Ricochet's deliveries per second with its jobs per second.
//   node --import tsx bench/pipelines/job-queue.ts --setup|--worker   (DATABASE_URL)
import { createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Logger, run, runMigrations, type Task } from 'graphile-worker';
import { Agent, request } from 'undici';

const SECRET = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
const CONCURRENCY = 100;

type DeliverPayload = { url: string; id: string; eventType: string; eventData: unknown };

/** The SQL that queues one `deliver` job per (event, url), as the benchmark's backlogs do. */
export const ADD_JOBS_SQL = `SELECT graphile_worker.add_jobs(array_agg(ROW('deliver', payload, NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec))
  FROM (SELECT json_build_object('url', $1 || '/hook/' || w, 'id', 'job-' || e || '-' || w, 'eventType', 'ACTOR.RUN.SUCCEEDED',
          'eventData', json_build_object('actorId', 'benchActor', 'i', e)) AS payload
        FROM generate_series(1, $2::int) e CROSS JOIN generate_series(1, $3::int) w) jobs`;

async function main(): Promise<void> {
  const connectionString = process.env.DATABASE_URL as string;
  if (process.argv[2] === '--setup') {
    await runMigrations({ connectionString });
    return;
  }
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  const deliver: Task = async (payload) => {
    const { url, id, eventType, eventData } = payload as DeliverPayload;
    const body = JSON.stringify({ eventType, eventData });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', SECRET).update(`${id}.${timestamp}.${body}`).digest('base64');
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'x-dispatch-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': `v1,${signature}`,
      },
      body,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    await response.body.dump();
    if (response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}`);
  };
  const runner = await run({
    connectionString,
    concurrency: CONCURRENCY,
    noHandleSignals: false,
    pollInterval: 1000,
    taskList: { deliver },
    preset: {
      worker: {
        localQueue: { size: CONCURRENCY + 1 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        maxPoolSize: 10,
      },
    },
    // Quiet: a line per job would be its own cost.
    logger: new Logger(() => () => {}),
  });
  process.stdout.write('worker ready\n');
  await runner.promise;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
