// C3, the ceiling: the least a durable webhook pipeline must do, written by hand. Publishing is a
// bare node:http endpoint (no auth, no validation, no framework): one transaction inserts the
// event's dispatches (INSERT ... SELECT over the webhooks) and NOTIFYs. Workers claim batches with
// FOR UPDATE SKIP LOCKED under a lease, POST with undici keep-alive, then insert a call row and
// mark the dispatch done, one transaction per call.
//   node --import tsx bench/minimal-pipeline.ts --setup|--api|--worker   (DATABASE_URL, PORT)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Agent, request } from 'undici';

const url = process.env.DATABASE_URL as string;
const mode = process.argv[2];
const CONCURRENCY = 100;
const BATCH = 50;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS mp_webhook (id serial PRIMARY KEY, url text NOT NULL, event_type text NOT NULL);
  CREATE TABLE IF NOT EXISTS mp_dispatch (id bigserial PRIMARY KEY, webhook_id int NOT NULL, payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'ACTIVE', attempts int NOT NULL DEFAULT 0, lease_until timestamptz,
    next_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS mp_dispatch_due ON mp_dispatch (next_at) WHERE status = 'ACTIVE';
  CREATE TABLE IF NOT EXISTS mp_call (id bigserial PRIMARY KEY, dispatch_id bigint NOT NULL, status int,
    at timestamptz NOT NULL DEFAULT now());`;

async function serveApi(pool: pg.Pool): Promise<void> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const client = await pool.connect();
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        await client.query('BEGIN');
        const inserted = await client.query(
          'INSERT INTO mp_dispatch (webhook_id, payload) SELECT id, $2::jsonb FROM mp_webhook WHERE event_type = $1',
          [event.eventType, JSON.stringify(event)],
        );
        await client.query(`SELECT pg_notify('mp_dispatches', '')`);
        await client.query('COMMIT');
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { dispatchCount: inserted.rowCount } }));
      } catch {
        await client.query('ROLLBACK').catch(() => {});
        res.writeHead(500);
        res.end();
      } finally {
        client.release();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`),
  );
}

async function runWorker(pool: pg.Pool): Promise<void> {
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 60_000 });
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  listener.on('notification', () => wake?.());
  await listener.query('LISTEN mp_dispatches');
  process.stdout.write('worker ready\n');

  const deliver = async (row: { id: string; url: string; payload: unknown }) => {
    let status: number | null = null;
    try {
      const response = await request(row.url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-dispatch-id': row.id },
        body: JSON.stringify(row.payload),
      });
      status = response.statusCode;
      await response.body.dump();
    } catch {}
    const client = await pool.connect().catch(() => undefined);
    if (!client) return;
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO mp_call (dispatch_id, status) VALUES ($1, $2)', [row.id, status]);
      await client.query(
        `UPDATE mp_dispatch SET status = $2, lease_until = NULL, next_at = now() + interval '1 minute' WHERE id = $1`,
        [row.id, status !== null && status < 300 ? 'SUCCEEDED' : 'ACTIVE'],
      );
      await client.query('COMMIT');
    } catch {
      // The lease lapses and another claim retries it (the benchmark truncates tables under it).
      await client.query('ROLLBACK').catch(() => {});
    } finally {
      client.release();
    }
  };

  for (;;) {
    const free = CONCURRENCY - inFlight;
    let claimed = 0;
    if (free > 0) {
      const { rows } = await pool
        .query(
          `WITH due AS (SELECT id FROM mp_dispatch WHERE status = 'ACTIVE' AND next_at <= now()
           AND (lease_until IS NULL OR lease_until < now()) ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         UPDATE mp_dispatch d SET lease_until = now() + interval '60 seconds', attempts = attempts + 1
         FROM due, mp_webhook w WHERE d.id = due.id AND w.id = d.webhook_id RETURNING d.id, w.url, d.payload`,
          [Math.min(free, BATCH)],
        )
        .catch(() => ({ rows: [] as Array<{ id: string; url: string; payload: unknown }> }));
      claimed = rows.length;
      for (const row of rows) {
        inFlight++;
        void deliver(row).finally(() => {
          inFlight--;
          wake?.();
        });
      }
    }
    if (claimed > 0 && claimed === Math.min(free, BATCH)) continue;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  }
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  process.on('SIGTERM', () => process.exit(0));
  if (mode === '--setup') {
    await pool.query(SCHEMA);
    await pool.end();
  } else if (mode === '--api') {
    await serveApi(pool);
  } else {
    await runWorker(pool);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
