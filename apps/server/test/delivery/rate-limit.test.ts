import { ensureStopped, type RicochetProcess, startReceiver, startRicochet } from '@ricochet/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { publishEvent } from '../../src/services/publish.ts';
import { createUser } from '../../src/services/users.ts';
import { createWebhook } from '../../src/services/webhooks.ts';
import { TEST_LIMITS } from '../app-fixtures.ts';
import { freshPostgresDatabase, TEST_DB_BACKEND } from '../db-fixtures.ts';

/**
 * A webhook's rate limit across several worker processes on one PostgreSQL database (PostgreSQL
 * only: the embedded database belongs to a single process).
 */
describe.skipIf(TEST_DB_BACKEND !== 'postgres')('rateLimitPerSecond', () => {
  const cleanups: Array<() => Promise<void>> = [];
  const processes: RicochetProcess[] = [];
  afterEach(async () => {
    await ensureStopped(processes.splice(0));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  test('holds across three worker processes: receipts per second at the receiver', async () => {
    const RATE = 4;
    const EVENTS = 20;
    const database = await freshPostgresDatabase();
    const db = await openDatabase({ databaseUrl: database.url, migrate: false });
    const receipts: number[] = [];
    const receiver = await startReceiver((_request, response) => {
      receipts.push(Date.now());
      response.end('ok');
    });
    const unlimited = await startReceiver();
    cleanups.push(database.drop, db.close, receiver.close, unlimited.close);
    const { user } = await createUser(db.prisma, { input: { username: 'ops', isAdmin: true } });
    const limited = await createWebhook(db.prisma, {
      userId: user.id,
      limits: TEST_LIMITS,
      input: {
        eventTypes: ['ACTOR.RUN.SUCCEEDED'],
        requestUrl: `${receiver.url}/limited`,
        rateLimitPerSecond: RATE,
      },
    });
    expect(limited.webhook.rateLimitPerSecond).toBe(RATE);
    // Another webhook of the same user, without a limit: it is not slowed by its neighbour's.
    await createWebhook(db.prisma, {
      userId: user.id,
      limits: TEST_LIMITS,
      input: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: `${unlimited.url}/free` },
    });
    const env = {
      DATABASE_URL: database.url,
      OUTBOUND_ALLOW_LOOPBACK: 'true',
      DELIVERY_POLL_INTERVAL_MS: '200',
      LOG_LEVEL: 'debug',
    };
    const workers = [0, 1, 2].map(() => startRicochet(['--worker'], env));
    processes.push(...workers);
    await Promise.all(workers.map((worker) => worker.waitForLine(/database ready/, 60_000)));

    for (let index = 0; index < EVENTS; index++) {
      await publishEvent(db.prisma, {
        userId: user.id,
        limits: TEST_LIMITS,
        input: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { index } },
      });
    }
    await unlimited.waitFor(EVENTS);
    // The unlimited webhook was done while most of the limited one's calls were still to come.
    expect(receipts.length).toBeLessThan(EVENTS);
    await receiver.waitFor(EVENTS);

    // Every call is given a start slot 1/rate after the previous one, whichever worker sends it:
    // at most RATE in any second, give or take one call started late by its worker (scheduling on
    // a loaded machine delays a call; it never starts one early).
    const at = (index: number) => receipts[index] ?? Number.NaN;
    for (let index = 0; index + RATE + 1 < receipts.length; index++) {
      expect(
        at(index + RATE + 1) - at(index),
        `receipts ${index}..${index + RATE + 1}`,
      ).toBeGreaterThanOrEqual(1000);
    }
    // Over the whole run, no faster than the limit: 20 calls at 4 a second span 4.75 s of slots.
    const span = at(receipts.length - 1) - at(0);
    expect(span).toBeGreaterThanOrEqual(((EVENTS - 1) * 1000) / RATE - 1000 / RATE);
    // The three processes shared the work (each logs an attempt once its result is recorded).
    const perWorker = () =>
      workers.map(
        (worker) =>
          worker.lines.filter(
            (line) => line.includes('"delivery attempt"') && line.includes(limited.webhook.id),
          ).length,
      );
    await expect
      .poll(() => perWorker().reduce((sum, count) => sum + count, 0), { timeout: 30_000 })
      .toBe(EVENTS);
    expect(perWorker().filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
