import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { sqlFor } from './db/sql.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import { type HistoryMaintenance, type HistoryStorage, historyStorage } from './history/partitions.ts';
import { type DeliveryHealth, readDeliveryHealth } from './queue/index.ts';
import { hashingLoad } from './services/passwords.ts';

export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed';

/** Prometheus metrics of one process; /metrics renders them. */
export class Metrics {
  readonly registry = new Registry();
  readonly deliveries: Counter<'outcome'>;
  readonly attemptDuration: Histogram<'outcome'>;

  constructor(prisma: PrismaClient) {
    collectDefaultMetrics({ register: this.registry, prefix: 'ricochet_' });
    this.deliveries = new Counter({
      name: 'ricochet_delivery_attempts_total',
      help: 'Delivery attempts by outcome: succeeded, retrying (failed, will retry) or failed (gave up)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.attemptDuration = new Histogram({
      name: 'ricochet_delivery_attempt_duration_seconds',
      help: 'Duration of one delivery attempt (HTTP call), by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    // Password hashing is bounded (services/passwords.ts): how much of it runs, and the most at once.
    new Gauge({
      name: 'ricochet_password_hashes_running',
      help: 'Password hashes (scrypt) running now',
      registers: [this.registry],
      collect() {
        this.set(hashingLoad().running);
      },
    });
    new Gauge({
      name: 'ricochet_password_hashes_peak',
      help: 'The most password hashes (scrypt) that ran at once since the process started',
      registers: [this.registry],
      collect() {
        this.set(hashingLoad().peak);
      },
    });
    // Queue figures come from the database at scrape time: the queue table is the truth every
    // process reports.
    new Gauge({
      name: 'ricochet_queue_due_dispatches',
      help: 'Dispatches due for an attempt now and not in flight (READY, waiting for their host, or due SCHEDULED)',
      registers: [this.registry],
      async collect() {
        const [row] = await prisma.$queryRaw<Array<{ due: bigint | number }>>`
          SELECT count(*) AS due FROM "DispatchQueue"
          WHERE "state" IN ('READY', 'HOST_WAIT') OR ("state" = 'SCHEDULED' AND "runAt" <= timezone('UTC', now()))`;
        this.set(Number(row?.due ?? 0));
      },
    });
    new Gauge({
      name: 'ricochet_queue_oldest_due_age_seconds',
      help: 'Age of the oldest due dispatch: how far delivery is behind',
      registers: [this.registry],
      async collect() {
        const [row] = await prisma.$queryRaw<Array<{ oldest: Date | null }>>`
          SELECT min("runAt") AS oldest FROM "DispatchQueue"
          WHERE "state" IN ('READY', 'HOST_WAIT') OR ("state" = 'SCHEDULED' AND "runAt" <= timezone('UTC', now()))`;
        this.set(row?.oldest ? Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'ricochet_queue_dispatches',
      help: 'Dispatches in the queue by state (READY, SCHEDULED, LEASED, HOST_WAIT, PACED, HELD)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const rows = await prisma.$queryRaw<Array<{ state: string; count: bigint | number }>>`
          SELECT "state"::text AS state, count(*) AS count FROM "DispatchQueue" GROUP BY 1`;
        this.reset();
        for (const row of rows) this.set({ state: row.state }, Number(row.count));
      },
    });
    new Gauge({
      name: 'ricochet_webhooks_circuit_open',
      help: 'Webhooks whose circuit is open (their calls got no response; deliveries wait for a probe)',
      registers: [this.registry],
      async collect() {
        const [row] = await prisma.$queryRaw<Array<{ count: bigint | number }>>`
          SELECT count(*) AS count FROM "Webhook" WHERE "circuitOpenedAt" IS NOT NULL`;
        this.set(Number(row?.count ?? 0));
      },
    });
    // The same figures OpenTelemetry exports (queue/sql/delivery-health.ts), one read per scrape.
    // Not its calls in flight per host: /metrics answers without a token, and a host label would
    // list every tenant's receivers to anyone who can reach the API (OpenTelemetry's go to the
    // operator's own collector).
    let health: { at: number; figures: Promise<DeliveryHealth> } | undefined;
    const currentHealth = () => {
      if (!health || Date.now() - health.at > 1_000) {
        health = { at: Date.now(), figures: readDeliveryHealth(sqlFor(prisma)) };
      }
      return health.figures;
    };
    new Gauge({
      name: 'ricochet_webhooks_failing',
      help: 'Webhooks in a run of failures (ricochet.webhook.failing, not yet recovered)',
      registers: [this.registry],
      async collect() {
        this.set((await currentHealth()).failingWebhooks);
      },
    });
    new Gauge({
      name: 'ricochet_webhooks_disabled',
      help: 'Webhooks set TOO_MANY_ERRORS',
      registers: [this.registry],
      async collect() {
        this.set((await currentHealth()).disabledWebhooks);
      },
    });
  }

  /**
   * History storage at scrape time: the database's size, each week partition's rows and bytes, the
   * oldest week and when it is due to drop (history/partitions.ts).
   */
  watchHistory(prisma: PrismaClient, maintenance: HistoryMaintenance): void {
    let latest: Promise<HistoryStorage> | undefined;
    // One read of the catalogue per scrape, shared by the gauges below.
    const storage = () => {
      latest ??= historyStorage(prisma, maintenance.policy).finally(() => {
        setImmediate(() => {
          latest = undefined;
        });
      });
      return latest;
    };
    new Gauge({
      name: 'ricochet_database_bytes',
      help: 'Size of the database (pg_database_size)',
      registers: [this.registry],
      async collect() {
        this.set((await storage()).databaseBytes);
      },
    });
    new Gauge({
      name: 'ricochet_history_partition_rows',
      help: 'Rows per history partition (one week of a table; PostgreSQL: its estimate)',
      labelNames: ['table', 'week'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const p of (await storage()).partitions)
          this.set({ table: p.table, week: p.from.toISOString().slice(0, 10) }, p.rows);
      },
    });
    new Gauge({
      name: 'ricochet_history_partition_bytes',
      help: 'Bytes per history partition (one week of a table, indexes included)',
      labelNames: ['table', 'week'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const p of (await storage()).partitions)
          this.set({ table: p.table, week: p.from.toISOString().slice(0, 10) }, p.bytes);
      },
    });
    new Gauge({
      name: 'ricochet_history_oldest_partition_timestamp_seconds',
      help: 'Start of the oldest history week kept (Unix time)',
      registers: [this.registry],
      async collect() {
        const oldest = (await storage()).oldestPartitionStart;
        this.set(oldest ? oldest.getTime() / 1000 : 0);
      },
    });
    new Gauge({
      name: 'ricochet_history_next_drop_timestamp_seconds',
      help: 'When the oldest history week is due to be dropped by retention (Unix time)',
      registers: [this.registry],
      async collect() {
        const next = (await storage()).nextDropAt;
        this.set(next ? next.getTime() / 1000 : 0);
      },
    });
    new Gauge({
      name: 'ricochet_history_retention_days',
      help: "The longest retention in force (RETENTION_DAYS or a user's own): what drops go by",
      registers: [this.registry],
      async collect() {
        this.set((await storage()).retentionDays);
      },
    });
  }

  /** One attempt finished: counted by outcome, its duration observed. */
  recordAttempt(outcome: DeliveryOutcome, durationMs: number): void {
    this.deliveries.inc({ outcome });
    this.attemptDuration.observe({ outcome }, durationMs / 1000);
  }
}
