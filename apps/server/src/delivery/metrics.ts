import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { hashingLoad } from '../services/passwords.ts';

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
    // Queue figures come from the database at scrape time: the dispatch table is the queue, and
    // every process reports the same truth.
    new Gauge({
      name: 'ricochet_queue_due_dispatches',
      help: 'Dispatches due for an attempt now (ACTIVE, next attempt in the past, not leased)',
      registers: [this.registry],
      async collect() {
        const [row] = await prisma.$queryRaw<Array<{ due: bigint | number }>>`
          SELECT count(*) AS due FROM "Dispatch"
          WHERE "status" = 'ACTIVE' AND "nextAttemptAt" <= now()
            AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= now())`;
        this.set(Number(row?.due ?? 0));
      },
    });
    new Gauge({
      name: 'ricochet_queue_oldest_due_age_seconds',
      help: 'Age of the oldest due dispatch: how far delivery is behind',
      registers: [this.registry],
      async collect() {
        const [row] = await prisma.$queryRaw<Array<{ oldest: Date | null }>>`
          SELECT min("nextAttemptAt") AS oldest FROM "Dispatch"
          WHERE "status" = 'ACTIVE' AND "nextAttemptAt" <= now()
            AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= now())`;
        this.set(row?.oldest ? Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000) : 0);
      },
    });
  }
}
