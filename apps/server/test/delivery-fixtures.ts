import { type Behaviour, type Receiver, startReceiver } from '@ricochet/testkit';
import { pino } from 'pino';
import { DeliveryWorker, type WorkerSettings } from '../src/delivery/worker.ts';
import { createLogger } from '../src/logger.ts';
import { HttpSender } from '../src/outbound/http-sender.ts';
import type { OutboundPolicy } from '../src/outbound/outbound-guard.ts';
import { USER_AGENT } from '../src/outbound/payload.ts';
import { test as appTest, webhookInput } from './app-fixtures.ts';

export const TEST_WORKER_SETTINGS: WorkerSettings = {
  retry: {
    maxRetries: 3,
    baseDelayMs: 60_000,
    maxDelayMs: 24 * 3600_000,
    retryAfterMaxMs: 3600_000,
    jitter: 0.2,
  },
  leaseMs: 30_000,
  attemptTimeoutMs: 5_000,
  batchSize: 50,
  concurrency: 20,
  maxConcurrentPerHost: 10,
  pollIntervalMs: 60_000,
  failureThreshold: 3,
  circuit: { failureThreshold: 5, probeDelayMs: 30_000, maxProbeDelayMs: 3600_000 },
  requestOrigin: 'RICOCHET',
};

/** A clock the test moves by hand, so retry schedules are checked without waiting. */
export class ManualClock {
  constructor(public current = new Date()) {}
  now = () => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export type DeliveryHarness = {
  receiver(behaviour?: Behaviour): Promise<Receiver>;
  worker(options?: {
    settings?: Partial<WorkerSettings>;
    clock?: ManualClock;
    policy?: OutboundPolicy;
    listen?: boolean;
    /** Receives the worker's log lines (JSON), for tests that wait on what it reports. */
    logLines?: string[];
  }): DeliveryWorker;
  /** Creates a webhook through the API and returns it. */
  webhook(overrides?: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>>;
  /** Publishes an event through the API and returns it. */
  publish(body: Record<string, unknown>): Promise<{ id: string; dispatchCount: number }>;
};

export const test = appTest.extend<{ delivery: DeliveryHarness }>({
  delivery: async ({ api, db }, use) => {
    const receivers: Receiver[] = [];
    const workers: DeliveryWorker[] = [];
    const senders: HttpSender[] = [];
    const harness: DeliveryHarness = {
      receiver: async (behaviour) => {
        const receiver = await startReceiver(behaviour);
        receivers.push(receiver);
        return receiver;
      },
      worker: (options = {}) => {
        const sender = new HttpSender({
          policy: options.policy ?? { allowLoopback: true, allowPrivate: false },
          userAgent: USER_AGENT,
        });
        senders.push(sender);
        const worker = new DeliveryWorker({
          prisma: api.prisma,
          sender,
          metrics: api.metrics,
          logger: options.logLines
            ? pino({ level: 'info' }, { write: (line: string) => void options.logLines?.push(line) })
            : createLogger({ LOG_LEVEL: 'silent' }),
          settings: { ...TEST_WORKER_SETTINGS, ...options.settings },
          ...(options.clock && { clock: options.clock.now }),
          ...(options.listen && { listen: db.listen }),
          // Jitter off: 0.5 maps to exactly the scheduled delay.
          random: () => 0.5,
        });
        workers.push(worker);
        return worker;
      },
      webhook: async (overrides = {}) => {
        const response = await api.request('POST', '/v2/webhooks', { body: webhookInput(overrides) });
        if (response.statusCode !== 201) throw new Error(`webhook not created: ${response.body}`);
        return response.json().data;
      },
      publish: async (body) => {
        const response = await api.request('POST', '/v2/events', { body });
        if (response.statusCode !== 201) throw new Error(`event not published: ${response.body}`);
        return response.json().data;
      },
    };
    await use(harness);
    for (const worker of workers) await worker.stop();
    for (const sender of senders) await sender.close();
    for (const receiver of receivers) await receiver.close();
  },
});

export { respond } from '@ricochet/testkit';
export { describe, expect } from 'vitest';
