import {
  type Behaviour,
  ensureStopped,
  type RicochetProcess,
  respond,
  startReceiver,
  startRicochet,
} from '@ricochet/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { publishEvent } from '../../src/services/publish.ts';
import { setUserDisabled } from '../../src/services/sessions.ts';
import { revokeApiToken } from '../../src/services/tokens.ts';
import { createUser } from '../../src/services/users.ts';
import { createWebhook } from '../../src/services/webhooks.ts';
import { TEST_LIMITS } from '../app-fixtures.ts';
import { freshPostgresDatabase, TEST_DB_BACKEND } from '../db-fixtures.ts';
import { countDispatches, findDispatches } from '../dispatch-rows.ts';

/**
 * Several Ricochet processes on one PostgreSQL database, as in production. PostgreSQL only: the
 * embedded database belongs to a single process.
 */
describe.skipIf(TEST_DB_BACKEND !== 'postgres')('several processes on one PostgreSQL database', () => {
  const cleanups: Array<() => Promise<void>> = [];
  const processes: RicochetProcess[] = [];
  afterEach(async () => {
    await ensureStopped(processes.splice(0));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(behaviour?: Behaviour) {
    const database = await freshPostgresDatabase();
    const db = await openDatabase({ databaseUrl: database.url, migrate: false });
    const receiver = await startReceiver(behaviour);
    cleanups.push(database.drop, db.close, receiver.close);
    const { user, token } = await createUser(db.prisma, { input: { username: 'ops', isAdmin: true } });
    const env = {
      DATABASE_URL: database.url,
      OUTBOUND_ALLOW_LOOPBACK: 'true',
      DELIVERY_POLL_INTERVAL_MS: '200',
    };
    const start = (flags: string[], extraEnv: Record<string, string> = {}) => {
      const started = startRicochet(flags, { ...env, ...extraEnv });
      processes.push(started);
      return started;
    };
    return { db, receiver, userId: user.id, token: token.token, start };
  }

  test('three workers deliver 2,000 dispatches, each exactly once, no attempt made twice', async () => {
    const dispatchesSeen = new Map<string, number>();
    let doubleAttempts = 0;
    const inFlight = new Set<string>();
    const { db, receiver, userId, start } = await setUp((request, response) => {
      const id = String(request.headers['x-apify-webhook-dispatch-id']);
      if (inFlight.has(id)) doubleAttempts++;
      inFlight.add(id);
      dispatchesSeen.set(id, (dispatchesSeen.get(id) ?? 0) + 1);
      setTimeout(() => {
        inFlight.delete(id);
        response.end('ok');
      }, Math.random() * 5);
    });
    // debug: a successful attempt's line is a debug line (counting them shows who did the work).
    const workers = [0, 1, 2].map(() =>
      start(['--worker'], { DELIVERY_BATCH_SIZE: '25', LOG_LEVEL: 'debug' }),
    );
    await Promise.all(workers.map((worker) => worker.waitForLine(/database ready/)));

    for (let index = 0; index < 20; index++) {
      await createWebhook(db.prisma, {
        userId,
        limits: TEST_LIMITS,
        input: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: `${receiver.url}/hook/${index}` },
      });
    }
    for (let index = 0; index < 100; index++) {
      await publishEvent(db.prisma, {
        userId,
        limits: TEST_LIMITS,
        input: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { index } },
      });
    }
    await receiver.waitFor(2000);
    await expect
      .poll(() => countDispatches(db.prisma, { status: 'SUCCEEDED' }), {
        timeout: 300_000,
        interval: 200,
      })
      .toBe(2000);

    expect(dispatchesSeen.size).toBe(2000);
    expect([...dispatchesSeen.values()].every((count) => count === 1)).toBe(true);
    expect(doubleAttempts).toBe(0);
    expect(await db.prisma.dispatchCall.count()).toBe(2000);
    // The three processes shared the work.
    const perWorker = workers.map(
      (worker) => worker.lines.filter((line) => line.includes('"delivery attempt"')).length,
    );
    expect(perWorker.reduce((sum, count) => sum + count, 0)).toBe(2000);
    expect(perWorker.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
  }, 900_000);

  test('a worker killed with SIGKILL mid-call loses nothing: its dispatch completes after the lease', async () => {
    let calls = 0;
    const { db, receiver, userId, start } = await setUp((_request, response) => {
      calls++;
      // The first call hangs, as if the worker died while the receiver was working on it.
      if (calls > 1) response.end('ok');
    });
    const leaseEnv = { DELIVERY_LEASE_MS: '2000' };
    const doomed = start(['--worker'], leaseEnv);
    await doomed.waitForLine(/database ready/);
    await createWebhook(db.prisma, {
      userId,
      limits: TEST_LIMITS,
      input: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: receiver.url },
    });
    const { event } = await publishEvent(db.prisma, {
      userId,
      limits: TEST_LIMITS,
      input: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: {} },
    });
    await receiver.waitFor(1);
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBe('SIGKILL');

    const rescuer = start(['--worker'], leaseEnv);
    await receiver.waitFor(2);
    await expect
      .poll(
        () =>
          findDispatches(db.prisma, { eventId: event.id })
            .then((found) => found[0])
            .then((d) => d?.status),
        {
          timeout: 180_000,
        },
      )
      .toBe('SUCCEEDED');
    const calls_ = await db.prisma.dispatchCall.findMany({ orderBy: { attempt: 'asc' } });
    expect(calls_.map((call) => [call.attempt, call.responseStatus])).toEqual([
      [1, null],
      [2, 200],
    ]);
    expect(calls_[0]?.errorMessage).toMatch(/^Interrupted/);
    expect(receiver.received.map((r) => r.headers['x-apify-webhook-dispatch-id'])).toEqual([
      receiver.received[0]?.headers['x-apify-webhook-dispatch-id'],
      receiver.received[0]?.headers['x-apify-webhook-dispatch-id'],
    ]);
    expect(rescuer.child.exitCode).toBeNull();
  }, 600_000);

  test('an event the API accepted survives the API being killed at once, and is delivered later', async () => {
    const { db, receiver, userId, token, start } = await setUp(respond(200));
    await createWebhook(db.prisma, {
      userId,
      limits: TEST_LIMITS,
      input: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: receiver.url },
    });
    const api = start(['--api'], { PORT: '0' });
    const listening = await api.waitForLine(/Server listening at http:\/\/127\.0\.0\.1:\d+/);
    const baseUrl = /(http:\/\/127\.0\.0\.1:\d+)/.exec(listening)?.[1];
    const response = await fetch(`${baseUrl}/v2/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'x' } }),
    });
    api.child.kill('SIGKILL');
    expect(response.status).toBe(201);
    const { data } = (await response.json()) as { data: { id: string; dispatchCount: number } };
    expect(data.dispatchCount).toBe(1);
    await api.exited;
    expect(await countDispatches(db.prisma, { eventId: data.id, status: 'ACTIVE' })).toBe(1);

    start(['--worker']);
    await receiver.waitFor(1);
    await expect
      .poll(() => countDispatches(db.prisma, { eventId: data.id, status: 'SUCCEEDED' }), {
        timeout: 180_000,
      })
      .toBe(1);
  }, 600_000);

  test('a token revoked or a user disabled by another process stops working on an API that had it cached', async () => {
    const { db, token, start } = await setUp();
    const other = await createUser(db.prisma, { input: { username: 'other', isAdmin: false } });
    const api = start(['--api'], { PORT: '0' });
    const listening = await api.waitForLine(/Server listening at http:\/\/127\.0\.0\.1:\d+/);
    const baseUrl = /(http:\/\/127\.0\.0\.1:\d+)/.exec(listening)?.[1];
    const status = async (bearer: string) =>
      (await fetch(`${baseUrl}/v2/webhooks`, { headers: { authorization: `Bearer ${bearer}` } })).status;
    // Both tokens are resolved (and cached) by the API process.
    expect(await status(token)).toBe(200);
    expect(await status(other.token.token)).toBe(200);

    // Changed from this process, as the CLI or another API process would.
    await revokeApiToken(db.prisma, { userId: other.user.id, tokenId: other.token.id });
    await expect.poll(() => status(other.token.token), { timeout: 60_000 }).toBe(401);
    const disabledUser = await createUser(db.prisma, {
      input: { username: 'soon-disabled', isAdmin: false },
    });
    expect(await status(disabledUser.token.token)).toBe(200);
    const admin = await db.prisma.user.findFirstOrThrow({ where: { username: 'ops' } });
    await setUserDisabled(db.prisma, {
      userId: disabledUser.user.id,
      disabled: true,
      actingUserId: admin.id,
    });
    await expect.poll(() => status(disabledUser.token.token), { timeout: 60_000 }).toBe(401);
    expect(await status(token)).toBe(200);
  }, 300_000);

  test('SIGTERM stops claiming, finishes the call in flight, records it, and exits cleanly', async () => {
    const { db, receiver, userId, start } = await setUp((_request, response) => {
      setTimeout(() => response.end('slow but ok'), 1500);
    });
    const worker = start(['--worker']);
    await worker.waitForLine(/database ready/);
    await createWebhook(db.prisma, {
      userId,
      limits: TEST_LIMITS,
      input: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: receiver.url },
    });
    await publishEvent(db.prisma, {
      userId,
      limits: TEST_LIMITS,
      input: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: {} },
    });
    await receiver.waitFor(1);
    worker.child.kill('SIGTERM');
    await worker.waitForLine(/stopping: no new claims/);
    // Published after the SIGTERM: the stopping worker must not claim it.
    await publishEvent(db.prisma, {
      userId,
      limits: TEST_LIMITS,
      input: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { late: true } },
    });
    expect(await worker.exited).toBe(0);
    const dispatches = await findDispatches(db.prisma);
    expect(dispatches.map((d) => d.status)).toEqual(['SUCCEEDED', 'ACTIVE']);
    expect(dispatches[0]?.calls[0]?.responseBody).toBe('slow but ok');
    expect(dispatches[1]?.calls).toHaveLength(0);
    expect(receiver.received).toHaveLength(1);
  }, 600_000);
});
