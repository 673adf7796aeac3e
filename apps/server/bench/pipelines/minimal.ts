// The ceiling: the strongest simple pipeline that does the same durable work as Ricochet, written
// by hand, with nothing Ricochet's features need (no tenants, fairness, templates, limits or
// validation). It is the yardstick the benchmark holds Ricochet against, so every step is the
// fastest plain way to do it:
//   publish  a bare node:http endpoint; concurrent publishes share statements (at most 4 in
//            flight, the rest wait and go together): one statement stores the events and their
//            dispatches (INSERT ... SELECT over the matching webhooks) and NOTIFYs, then answers.
//   claim    one statement takes up to 50 due rows (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
//            SKIP LOCKED LIMIT 50) RETURNING ...); the lease is the row's next_at pushed a minute
//            ahead, so a leased row leaves the due range of the index and a dead worker's rows come
//            back by themselves.
//   send     POST with an undici keep-alive pool, signed (Standard Webhooks HMAC-SHA256).
//   record   every delivery that finished meanwhile in ONE statement: the dispatch rows (SUCCEEDED,
//            FAILED, or rescheduled with backoff; fenced by the attempt number) and the call rows,
//            from unnest() arrays.
//   node --import tsx bench/pipelines/minimal.ts --setup|--api|--worker   (DATABASE_URL, PORT)
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Agent, request } from 'undici';

const url = process.env.DATABASE_URL as string;
const mode = process.argv[2];
const CONCURRENCY = 100;
const BATCH = 50;
const MAX_PUBLISH_STATEMENTS = 4;
const MAX_ATTEMPTS = 12;
const SECRET = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');

export const MINIMAL_SCHEMA = `
  CREATE TABLE IF NOT EXISTS mp_webhook (id serial PRIMARY KEY, url text NOT NULL, event_type text NOT NULL);
  CREATE TABLE IF NOT EXISTS mp_event (id bigserial PRIMARY KEY, event_type text NOT NULL, data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS mp_dispatch (id bigserial PRIMARY KEY, webhook_id int NOT NULL, event_id bigint NOT NULL,
    status text NOT NULL DEFAULT 'ACTIVE', attempts int NOT NULL DEFAULT 0, next_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS mp_dispatch_due ON mp_dispatch (next_at) WHERE status = 'ACTIVE';
  CREATE TABLE IF NOT EXISTS mp_call (id bigserial PRIMARY KEY, dispatch_id bigint NOT NULL, attempt int NOT NULL,
    status int, error text, started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL);`;

type Pending = {
  eventType: string;
  data: string;
  resolve: (id: string) => void;
  reject: (e: unknown) => void;
};

async function serveApi(pool: pg.Pool): Promise<void> {
  let waiting: Pending[] = [];
  let running = 0;
  const pump = () => {
    while (running < MAX_PUBLISH_STATEMENTS && waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      running++;
      pool
        .query<{ id: string }>(
          `WITH ev AS (
             INSERT INTO mp_event (event_type, data) SELECT * FROM unnest($1::text[], $2::jsonb[]) RETURNING id, event_type
           ), d AS (
             INSERT INTO mp_dispatch (webhook_id, event_id) SELECT w.id, ev.id FROM ev JOIN mp_webhook w ON w.event_type = ev.event_type
           )
           SELECT ev.id, (SELECT 1 FROM pg_notify('mp_dispatches', '')) AS notified FROM ev`,
          [batch.map((entry) => entry.eventType), batch.map((entry) => entry.data)],
        )
        .then(
          ({ rows }) => {
            for (const [index, entry] of batch.entries()) entry.resolve(rows[index]?.id ?? '');
          },
          (error: unknown) => {
            for (const entry of batch) entry.reject(error);
          },
        )
        .finally(() => {
          running--;
          pump();
        });
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('error', () => {});
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let event: { eventType: string; eventData: unknown };
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400);
        res.end();
        return;
      }
      new Promise<string>((resolve, reject) => {
        waiting.push({ eventType: event.eventType, data: JSON.stringify(event.eventData), resolve, reject });
        pump();
      }).then(
        (id) => {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: { id } }));
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`),
  );
}

type Claimed = {
  id: string;
  attempts: number;
  url: string;
  event_type: string;
  data: unknown;
  created_at: Date;
};
type Result = {
  id: string;
  attempt: number;
  status: number | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
};

async function runWorker(pool: pg.Pool): Promise<void> {
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let wakeRequested = false;
  const requestWake = () => {
    if (wake) wake();
    else wakeRequested = true;
  };
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  listener.on('notification', requestWake);
  await listener.query('LISTEN mp_dispatches');
  process.stdout.write('worker ready\n');

  // Results wait here while a record statement runs; the next statement takes all of them.
  let pending: Array<{ result: Result; done: () => void }> = [];
  let recording = false;
  const flush = async () => {
    if (recording) return;
    recording = true;
    while (pending.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      const batch = pending;
      pending = [];
      const rows = batch.map((entry) => entry.result);
      await pool
        .query(
          `WITH r AS (
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::timestamptz[], $6::timestamptz[])
               AS r(id, attempt, status, error, started_at, finished_at)
           ), moved AS (
             UPDATE mp_dispatch d SET
               status = CASE WHEN r.status BETWEEN 200 AND 299 THEN 'SUCCEEDED'
                             WHEN d.attempts >= ${MAX_ATTEMPTS} THEN 'FAILED' ELSE 'ACTIVE' END,
               next_at = now() + interval '1 minute'
             FROM r WHERE d.id = r.id AND d.attempts = r.attempt
           )
           INSERT INTO mp_call (dispatch_id, attempt, status, error, started_at, finished_at)
           SELECT id, attempt, status, error, started_at, finished_at FROM r`,
          [
            rows.map((row) => row.id),
            rows.map((row) => row.attempt),
            rows.map((row) => row.status),
            rows.map((row) => row.error),
            rows.map((row) => row.startedAt.toISOString()),
            rows.map((row) => row.finishedAt.toISOString()),
          ],
        )
        .catch(() => {
          // The rows are leased for a minute; the benchmark truncates tables under a running
          // worker. A real pipeline would retry; here the lease brings them back.
        });
      for (const entry of batch) entry.done();
    }
    recording = false;
  };

  const deliver = async (row: Claimed) => {
    const body = JSON.stringify({
      eventType: row.event_type,
      createdAt: row.created_at.toISOString(),
      eventData: row.data,
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', SECRET).update(`${row.id}.${timestamp}.${body}`).digest('base64');
    const startedAt = new Date();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await request(row.url, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'webhook-id': row.id,
          'x-dispatch-id': row.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': `v1,${signature}`,
        },
        body,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      status = response.statusCode;
      await response.body.dump();
    } catch (caught) {
      error = String(caught);
    }
    await new Promise<void>((done) => {
      pending.push({
        result: { id: row.id, attempt: row.attempts, status, error, startedAt, finishedAt: new Date() },
        done,
      });
      void flush();
    });
  };

  for (;;) {
    const free = CONCURRENCY - inFlight;
    let claimed = 0;
    if (free >= BATCH / 2 || (free > 0 && inFlight === 0)) {
      const { rows } = await pool
        .query<Claimed>(
          `WITH due AS (
             SELECT id FROM mp_dispatch WHERE status = 'ACTIVE' AND next_at <= now()
             ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED
           )
           UPDATE mp_dispatch d SET next_at = now() + interval '60 seconds', attempts = d.attempts + 1
           FROM due, mp_webhook w, mp_event e
           WHERE d.id = due.id AND w.id = d.webhook_id AND e.id = d.event_id
           RETURNING d.id, d.attempts, w.url, e.event_type, e.data, e.created_at`,
          [Math.min(free, BATCH)],
        )
        .catch(() => ({ rows: [] as Claimed[] }));
      claimed = rows.length;
      for (const row of rows) {
        inFlight++;
        void deliver(row).finally(() => {
          inFlight--;
          requestWake();
        });
      }
    }
    if (claimed > 0 && claimed === Math.min(free, BATCH)) continue;
    if (wakeRequested) {
      wakeRequested = false;
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  process.on('SIGTERM', () => process.exit(0));
  if (mode === '--setup') {
    await pool.query(MINIMAL_SCHEMA);
    await pool.end();
  } else if (mode === '--api') {
    await serveApi(pool);
  } else {
    await runWorker(pool);
  }
}

// Run only as a process of its own: the benchmark imports MINIMAL_SCHEMA from here.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
