import { startReceiver } from '@ricochet/testkit';
import { afterEach } from 'vitest';
import { type Database, openDatabase } from '../src/db/client.ts';
import { applyMigrations, applyMigrationsToPostgres, pgliteMigrationAdapter } from '../src/db/migrate.ts';
import { sqlFor } from '../src/db/sql.ts';
import { DeliveryWorker } from '../src/delivery/worker.ts';
import { weekStart } from '../src/history/partitions.ts';
import { createLogger } from '../src/logger.ts';
import { HttpSender } from '../src/outbound/http-sender.ts';
import { releaseHeld } from '../src/queue/index.ts';
import { getDispatchDetail } from '../src/services/dispatches.ts';
import { describe, expect, freshPostgresDatabase, TEST_DB_BACKEND, test } from './db-fixtures.ts';
import { ManualClock, TEST_WORKER_SETTINGS } from './delivery-fixtures.ts';
import { findDispatches } from './dispatch-rows.ts';

/** The last migration of the schema before the delivery queue (issue 15). */
const BEFORE_QUEUE = '20261129234434_drop_publish_path_foreign_keys';
/** The last migration before calls were stored compactly (issue 17). */
const BEFORE_COMPACT = '20261202150000_delivery_queue';
/** The last migration before history partitions (issue 17): the delivery queue's. */
const BEFORE_PARTITIONS = '20261202150000_delivery_queue';
/** The last migration before fewer history bytes (issue 17): the partitions'. */
const BEFORE_BYTES = '20261202200000_history_partitions';
const INTERRUPTED = 'Interrupted: the worker delivering this attempt stopped before it finished.';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database migrated only up to `upTo`, as an installation of that version has it. */
async function olderInstallation(upTo: string): Promise<Database> {
  if (TEST_DB_BACKEND === 'postgres') {
    const fresh = await freshPostgresDatabase({ migrated: false });
    await applyMigrationsToPostgres(fresh.url, { upTo });
    const db = await openDatabase({ databaseUrl: fresh.url, migrate: false });
    cleanups.push(fresh.drop, db.close);
    return db;
  }
  const db = await openDatabase({ dataDir: 'memory://', migrate: false });
  cleanups.push(db.close);
  await applyMigrations(pgliteMigrationAdapter(db.pglite as NonNullable<Database['pglite']>), { upTo });
  return db;
}

/**
 * Rows as the version before the queue wrote them: two users, webhooks ACTIVE and STOPPED (and one
 * deleted), their secrets, events, and dispatches in every state with their calls.
 */
async function fillBeforeQueue(db: Database, receiverUrl: string): Promise<void> {
  const run = (sql: string) => db.prisma.$executeRawUnsafe(sql);
  await run(
    `INSERT INTO "User" ("id", "username", "isAdmin") VALUES ('userA', 'a', true), ('userB', 'b', false)`,
  );
  await run(`INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl", "state") VALUES
    ('hookActive', 'userA', ARRAY['ACTOR.RUN.SUCCEEDED'], '${receiverUrl}/active', 'ACTIVE'),
    ('hookStopped', 'userB', ARRAY['ACTOR.RUN.SUCCEEDED'], 'HTTPS://Example.COM:8443/stopped', 'STOPPED'),
    ('hookHttps', 'userB', ARRAY['ACTOR.RUN.SUCCEEDED'], 'https://user:pw@[::1]/v6', 'ACTIVE')`);
  await run(`INSERT INTO "WebhookSecret" ("id", "webhookId", "secret") VALUES
    ('s1', 'hookActive', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), ('s2', 'hookStopped', 'chosen-secret')`);
  await run(`INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "dispatchCount") VALUES
    ('ev1', 'userA', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":1}', '{"id":"run1"}', 1),
    ('ev2', 'userA', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":2}', NULL, 1),
    ('ev3', 'userB', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"b"}', NULL, 1)`);
  const past = `timezone('UTC', now()) - interval '1 hour'`;
  const future = `timezone('UTC', now()) + interval '1 hour'`;
  await run(`INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource", "status",
      "attemptCount", "roundStartAttempt", "nextAttemptAt", "leaseExpiresAt", "leasedBy", "createdAt", "finishedAt") VALUES
    ('due', 'userA', 'hookActive', 'ev1', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":1}', '{"id":"run1"}', 'ACTIVE', 0, 0, ${past}, NULL, NULL, ${past}, NULL),
    ('retrying', 'userA', 'hookActive', 'ev2', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":2}', NULL, 'ACTIVE', 1, 0, ${future}, NULL, NULL, ${past}, NULL),
    ('leased', 'userA', 'hookActive', 'ev1', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":1}', NULL, 'ACTIVE', 2, 0, ${past}, ${future}, 'old-worker', ${past}, NULL),
    ('test', 'userA', 'hookActive', NULL, 'TEST', '{"actorId":"TEST_ACTOR_ID"}', '{"id":"TEST_ACTOR_RUN_ID"}', 'ACTIVE', 0, 0, ${past}, NULL, NULL, ${past}, NULL),
    ('parked', 'userB', 'hookStopped', 'ev3', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"b"}', NULL, 'ACTIVE', 0, 0, ${past}, NULL, NULL, ${past}, NULL),
    ('succeeded', 'userA', 'hookActive', 'ev1', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":1}', NULL, 'SUCCEEDED', 1, 0, NULL, NULL, NULL, ${past}, ${past}),
    ('failed', 'userB', 'hookStopped', 'ev3', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"b"}', NULL, 'FAILED', 2, 0, NULL, NULL, NULL, ${past}, ${past}),
    ('orphan', 'userA', 'hookGone', 'ev1', 'ACTOR.RUN.SUCCEEDED', '{}', NULL, 'ACTIVE', 0, 0, ${past}, NULL, NULL, ${past}, NULL)`);
  await run(`INSERT INTO "DispatchCall" ("id", "dispatchId", "webhookId", "attempt", "startedAt", "finishedAt", "outcome",
      "errorMessage", "responseStatus", "responseBody", "requestUrl", "requestHeaders", "requestBody", "responseHeaders") VALUES
    ('retrying-1', 'retrying', 'hookActive', 1, ${past}, ${past}, 'retrying', NULL, 500, 'boom', '${receiverUrl}/active', '{"a":"1"}', '{}', '{"x":"y"}'),
    ('leased-1', 'leased', 'hookActive', 1, ${past}, ${past}, 'retrying', 'Connection refused', NULL, NULL, NULL, NULL, NULL, NULL),
    ('leased-2', 'leased', 'hookActive', 2, ${past}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ('succeeded-1', 'succeeded', 'hookActive', 1, ${past}, ${past}, 'succeeded', NULL, 200, 'ok', '${receiverUrl}/active', '{"b":"2"}', '{"p":1}', '{}'),
    ('failed-1', 'failed', 'hookStopped', 1, ${past}, ${past}, 'retrying', NULL, 503, 'busy', NULL, NULL, NULL, NULL),
    ('failed-2', 'failed', 'hookStopped', 2, ${past}, ${past}, 'failed', NULL, 503, 'still busy', NULL, NULL, NULL, NULL)`);
}

describe('upgrading an installation in place loses nothing', () => {
  test('from the schema before the delivery queue: every row kept, every ACTIVE dispatch still delivers', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const db = await olderInstallation(BEFORE_QUEUE);
    await fillBeforeQueue(db, receiver.url);

    const applied = await db.migrate();
    expect(applied).toContain('20261202150000_delivery_queue');

    // Users, webhooks (with their host), secrets and events are all there.
    expect(await db.prisma.user.count()).toBe(2);
    const webhooks = await db.prisma.webhook.findMany({ orderBy: { id: 'asc' } });
    expect(webhooks.map((webhook) => [webhook.id, webhook.hostKey])).toEqual([
      ['hookActive', `127.0.0.1:${receiver.port}`],
      ['hookHttps', '[::1]:443'],
      ['hookStopped', 'example.com:8443'],
    ]);
    expect(await db.prisma.webhookSecret.count()).toBe(2);
    expect(await db.prisma.event.count()).toBe(3);

    // Every dispatch but the orphan (of a webhook deleted long ago, never to be sent) is kept, in its state.
    const dispatches = new Map((await findDispatches(db.prisma)).map((dispatch) => [dispatch.id, dispatch]));
    expect([...dispatches.keys()].sort()).toEqual([
      'due',
      'failed',
      'leased',
      'parked',
      'retrying',
      'succeeded',
      'test',
    ]);
    expect(
      Object.fromEntries(
        [...dispatches].map(([id, dispatch]) => [
          id,
          [dispatch.status, dispatch.queueState, dispatch.attemptCount],
        ]),
      ),
    ).toEqual({
      due: ['ACTIVE', 'READY', 0],
      retrying: ['ACTIVE', 'SCHEDULED', 1],
      leased: ['ACTIVE', 'READY', 2],
      test: ['ACTIVE', 'READY', 0],
      parked: ['ACTIVE', 'HELD', 0],
      succeeded: ['SUCCEEDED', null, 1],
      failed: ['FAILED', null, 2],
    });
    // Finished ones keep their calls as they were; the call a dead worker left running is interrupted.
    expect(
      dispatches.get('failed')?.calls.map((call) => [call.attempt, call.responseStatus, call.outcome]),
    ).toEqual([
      [1, 503, 'retrying'],
      [2, 503, 'failed'],
    ]);
    expect(dispatches.get('succeeded')?.calls[0]).toMatchObject({
      responseStatus: 200,
      responseBody: 'ok',
      requestHeaders: { b: '2' },
      requestBody: '{"p":1}',
    });
    expect(dispatches.get('leased')?.calls.map((call) => [call.attempt, call.errorMessage])).toEqual([
      [1, 'Connection refused'],
      [2, INTERRUPTED],
    ]);
    // The test dispatch kept its own data; the others read their event's.
    expect(dispatches.get('test')?.eventData).toEqual({ actorId: 'TEST_ACTOR_ID' });

    // Every ACTIVE dispatch delivers: the due ones now, the retry when it is due, the held one once
    // its webhook is switched on.
    const clock = new ManualClock();
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    cleanups.push(() => sender.close());
    const worker = new DeliveryWorker({
      prisma: db.prisma,
      sender,
      logger: createLogger({ LOG_LEVEL: 'silent' }),
      settings: TEST_WORKER_SETTINGS,
      clock: clock.now,
      random: () => 0.5,
    });
    expect(await worker.runOnce()).toBe(3);
    clock.advance(2 * 3600_000);
    expect(await worker.runOnce()).toBe(1);
    const bodies = receiver.received.map((request) => JSON.parse(request.body));
    expect(
      bodies.map((body) => body.eventData).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { actorId: 'TEST_ACTOR_ID' },
      { actorId: 'a', n: 1 },
      { actorId: 'a', n: 1 },
      { actorId: 'a', n: 2 },
    ]);
    await db.prisma.webhook.update({
      where: { id: 'hookStopped' },
      data: { state: 'ACTIVE', requestUrl: `${receiver.url}/b`, hostKey: `127.0.0.1:${receiver.port}` },
    });
    expect(await releaseHeld(sqlFor(db.prisma), { webhookId: 'hookStopped' })).toBe(1);
    expect(await worker.runOnce()).toBe(1);
    const after = await findDispatches(db.prisma);
    expect(
      after
        .filter((dispatch) => dispatch.status === 'SUCCEEDED')
        .map((dispatch) => dispatch.id)
        .sort(),
    ).toEqual(['due', 'leased', 'parked', 'retrying', 'succeeded', 'test']);
  }, 300_000);

  test('from the schema before compact calls: fully stored requests read as they were, new calls compactly', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const db = await olderInstallation(BEFORE_COMPACT);
    const run = (sql: string) => db.prisma.$executeRawUnsafe(sql);
    const past = `timezone('UTC', now()) - interval '1 hour'`;
    await run(`INSERT INTO "User" ("id", "username") VALUES ('userA', 'a')`);
    await run(`INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl", "hostKey") VALUES
      ('hookA', 'userA', ARRAY['ACTOR.RUN.SUCCEEDED'], '${receiver.url}/a', '127.0.0.1:${receiver.port}')`);
    await run(
      `INSERT INTO "WebhookSecret" ("id", "webhookId", "secret") VALUES ('s1', 'hookA', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')`,
    );
    await run(`INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "dispatchCount", "createdAt") VALUES
      ('ev1', 'userA', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a"}', '{"id":"run1"}', 1, ${past}),
      ('ev2', 'userA', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"b"}', NULL, 1, ${past})`);
    await run(`INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount",
        "createdAt", "finishedAt") VALUES ('old', 'userA', 'hookA', 'ev1', 'ACTOR.RUN.SUCCEEDED', 'SUCCEEDED', 2, ${past}, ${past})`);
    // As the previous worker stored them: every header in order (signatures included) and the body;
    // one call whose template could not render; one from before requests were stored.
    const headers =
      '{"Content-Type":"application/json; charset=utf-8","webhook-id":"old","webhook-signature":"v1,abc","user-agent":"Ricochet-Webhooks/0.1"}';
    await run(`INSERT INTO "DispatchCall" ("dispatchId", "webhookId", "attempt", "startedAt", "finishedAt", "outcome",
        "errorMessage", "responseStatus", "responseBody", "requestUrl", "requestHeaders", "requestBody", "responseHeaders") VALUES
      ('old', 'hookA', 1, ${past}, ${past}, 'retrying', 'payloadTemplate could not be rendered: x', NULL, NULL, '${receiver.url}/a', '{}', NULL, NULL),
      ('old', 'hookA', 2, ${past}, ${past}, 'succeeded', NULL, 200, 'ok', '${receiver.url}/a', '${headers}', '{"sent":"as is"}', '{"x":"y"}')`);
    await run(`INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "createdAt", "runAt", "state", "fairKey")
      VALUES ('queued', 'userA', 'hookA', 'ev2', 'ACTOR.RUN.SUCCEEDED', ${past}, ${past}, 'READY', 1)`);

    const applied = await db.migrate();
    expect(applied).toContain('20261202183000_compact_history');

    const old = await getDispatchDetail(db.prisma, { userId: 'userA', dispatchId: 'old' });
    expect(old.calls.map((call) => [call.attempt, call.requestState])).toEqual([
      [1, 'NOT_BUILT'],
      [2, 'STORED'],
    ]);
    expect(Object.entries(old.calls[1]?.requestHeaders ?? {})).toEqual(Object.entries(JSON.parse(headers)));
    expect(old.calls[1]).toMatchObject({ requestBody: '{"sent":"as is"}', responseHeaders: { x: 'y' } });

    // The queued dispatch delivers; its call is stored compactly and reads back as the receiver got it.
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'Ricochet-Webhooks/0.1',
    });
    cleanups.push(() => sender.close());
    const worker = new DeliveryWorker({
      prisma: db.prisma,
      sender,
      logger: createLogger({ LOG_LEVEL: 'silent' }),
      settings: TEST_WORKER_SETTINGS,
      random: () => 0.5,
    });
    expect(await worker.runOnce()).toBe(1);
    const [request] = receiver.received;
    const queued = await getDispatchDetail(db.prisma, { userId: 'userA', dispatchId: 'queued' });
    expect(queued.status).toBe('SUCCEEDED');
    expect(queued.calls[0]?.requestBody).toBe(request?.body);
    expect(queued.calls[0]?.requestHeaders?.['webhook-signature']).toBe(
      request?.headers['webhook-signature'],
    );
    const [stored] = await sqlFor(db.prisma).query<{ requestHeaders: unknown; requestBody: string | null }>(
      `SELECT "requestHeaders", "requestBody" FROM "DispatchCall" WHERE "dispatchId" = 'queued'`,
    );
    expect(stored).toEqual({ requestHeaders: null, requestBody: null });
  }, 300_000);
});

describe('upgrading to fewer history bytes loses nothing', () => {
  test('every row kept, late dispatches get their event data, keys stay unique, new rows are compact', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const db = await olderInstallation(BEFORE_BYTES);
    await fillBeforePartitions(db, receiver.url);
    const sql = sqlFor(db.prisma);
    // A dispatch that finished 19 days after its event (a later week): as the version before wrote
    // it, with no copy of the event's data.
    await sql.query(
      `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount", "createdAt", "finishedAt")
      SELECT 'late', 'userA', 'hookActive', 'ev1', 'ACTOR.RUN.SUCCEEDED', 'SUCCEEDED', 1, "createdAt", "createdAt" + interval '19 days'
      FROM "Event" WHERE "id" = 'ev1'`,
    );
    const before = await Promise.all(TABLES.map(([table, order]) => snapshot(db, table, order)));

    expect(await db.migrate()).toContain('20261202230000_history_bytes');
    const after = await Promise.all(TABLES.map(([table, order]) => snapshot(db, table, order)));
    const events = before[TABLES.findIndex(([table]) => table === 'Event')] ?? [];
    for (const [index, [table]] of TABLES.entries()) {
      const rows = before[index] ?? [];
      const expected = withoutDropped(table, table === 'Dispatch' ? withLateEventData(rows, events) : rows);
      expect({ table, rows: after[index] }).toEqual({ table, rows: expected });
    }
    const late = (
      after[TABLES.findIndex(([table]) => table === 'Dispatch')] as Array<Record<string, unknown>>
    ).find((row) => row.id === 'late');
    expect(late).toMatchObject({ eventData: { actorId: 'a', n: 1 }, resource: { id: 'run1' } });

    // The idempotency key is still unique in its week (the partial index), events without one are
    // never in each other's way.
    const publishAt = (id: string, key: string | null) =>
      sql.query<{ id: string }>(
        `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "idempotencyKey", "createdAt")
        SELECT $1, 'userA', 'X', '{}', $2, "createdAt" FROM "Event" WHERE "id" = 'ev1'
        ON CONFLICT DO NOTHING RETURNING "id"`,
        [id, key],
      );
    expect(await publishAt('dup', 'key-1')).toEqual([]);
    expect(await publishAt('nokey1', null)).toEqual([{ id: 'nokey1' }]);
    expect(await publishAt('nokey2', null)).toEqual([{ id: 'nokey2' }]);

    // Ids made in the database start with the time (base 36 of the milliseconds).
    const [made] = await sql.query<{ id: string; ms: string }>(
      `SELECT ricochet_record_id() AS "id", (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS "ms"`,
    );
    expect(made?.id).toMatch(/^[0-9a-z]{8}[A-Za-z0-9]{9}$/);
    expect(Math.abs(Number.parseInt(made?.id.slice(0, 8) ?? '', 36) - Number(made?.ms))).toBeLessThan(60_000);

    // The queue delivers; new calls store their response headers compactly, and read as received.
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    cleanups.push(() => sender.close());
    const worker = new DeliveryWorker({
      prisma: db.prisma,
      sender,
      logger: createLogger({ LOG_LEVEL: 'silent' }),
      settings: TEST_WORKER_SETTINGS,
      random: () => 0.5,
    });
    expect(await worker.runOnce()).toBe(3);
    const ready = await getDispatchDetail(db.prisma, { userId: 'userA', dispatchId: 'ready' });
    expect(ready.status).toBe('SUCCEEDED');
    expect(ready.calls.at(-1)?.responseHeaders?.date).toMatch(/ GMT$/);
    const [stored] = await sql.query<{ responseHeaders: unknown }>(
      `SELECT "responseHeaders" FROM "DispatchCall" WHERE "dispatchId" = 'ready'`,
    );
    expect(Array.isArray(stored?.responseHeaders)).toBe(true);
    // A call stored before reads as it did.
    const succeeded = await getDispatchDetail(db.prisma, { userId: 'userA', dispatchId: 'succeeded' });
    expect(succeeded.calls[0]?.responseHeaders).toEqual({});
    expect((await getDispatchDetail(db.prisma, { userId: 'userA', dispatchId: 'late' })).eventData).toEqual({
      actorId: 'a',
      n: 1,
    });
  }, 300_000);
});

/**
 * Dispatch rows as migration 20261202230000_history_bytes leaves them: one that finished in a later
 * week than its event, with no data of its own, gets a copy of its event's (the event's week drops
 * first). `events` are the Event rows as snapshot() gives them.
 */
function withLateEventData(dispatches: unknown[], events: unknown[]): unknown[] {
  const byId = new Map((events as Array<Record<string, unknown>>).map((event) => [event.id, event]));
  const week = (at: unknown) => weekStart(new Date(`${String(at)}Z`)).getTime();
  return (dispatches as Array<Record<string, unknown>>).map((row) => {
    if (row.eventData !== null || row.eventId === null || week(row.finishedAt) <= week(row.createdAt))
      return row;
    const event = byId.get(row.eventId);
    return { ...row, eventData: event?.eventData, resource: event?.resource };
  });
}

/**
 * Columns a later migration drops on purpose, nothing reading them: 20261203060000_history_vacuum
 * drops a finished dispatch's roundStartAttempt (a redelivery counts its budget from attemptCount).
 */
const DROPPED_COLUMNS: Record<string, string[]> = { Dispatch: ['roundStartAttempt'] };

/**
 * Columns later migrations add, and what existing rows get: 20261207120000_webhook_failing_since
 * adds Webhook.failingSince (null: no webhook is in a reported run of failures yet).
 */
const ADDED_LATER_COLUMNS: Record<string, Record<string, unknown>> = {
  User: { alertEmail: null },
  Event: { traceparent: null },
  Webhook: { failingSince: null, errorsEmail: null, propagateTraceContext: true },
};

/**
 * `rows` of `table` as the latest migrations leave them: without the columns they drop
 * (DROPPED_COLUMNS), with those they add (ADDED_LATER_COLUMNS).
 */
function withoutDropped(table: string, rows: unknown[]): unknown[] {
  const dropped = DROPPED_COLUMNS[table] ?? [];
  return rows.map((row) => ({
    ...Object.fromEntries(Object.entries(row as object).filter(([column]) => !dropped.includes(column))),
    ...ADDED_LATER_COLUMNS[table],
  }));
}

/** Every row of a table as JSON, in a stable order: what an upgrade must keep, column for column. */
async function snapshot(db: Database, table: string, orderBy: string): Promise<unknown[]> {
  const rows = await db.prisma.$queryRawUnsafe<Array<{ row: unknown }>>(
    `SELECT to_jsonb(t) AS "row" FROM "${table}" t ORDER BY ${orderBy}`,
  );
  return rows.map((row) => row.row);
}

const TABLES = [
  ['User', '"id"'],
  ['Webhook', '"id"'],
  ['WebhookSecret', '"id"'],
  ['Event', '"id"'],
  ['Dispatch', '"id"'],
  ['DispatchQueue', '"id"'],
  ['DispatchCall', '"dispatchId", "attempt"'],
] as const;

/**
 * Rows as the version before partitions writes them, spread over three weeks: events (one with an
 * idempotency key), dispatches finished and queued in every queue state, their calls, secrets.
 */
async function fillBeforePartitions(db: Database, receiverUrl: string): Promise<void> {
  const run = (sql: string) => db.prisma.$executeRawUnsafe(sql);
  // One moment for every statement (as the version before wrote a dispatch with its event's time).
  const base = new Date();
  const ago = (days: number) => `timestamp '${new Date(base.getTime() - days * 86_400_000).toISOString()}'`;
  await run(
    `INSERT INTO "User" ("id", "username", "isAdmin") VALUES ('userA', 'a', true), ('userB', 'b', false)`,
  );
  await run(`INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl", "state", "hostKey") VALUES
    ('hookActive', 'userA', ARRAY['ACTOR.RUN.SUCCEEDED'], '${receiverUrl}/active', 'ACTIVE', 'h'),
    ('hookStopped', 'userB', ARRAY['ACTOR.RUN.SUCCEEDED'], '${receiverUrl}/stopped', 'STOPPED', 'h')`);
  await run(`INSERT INTO "WebhookSecret" ("id", "webhookId", "secret") VALUES
    ('s1', 'hookActive', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), ('s2', 'hookStopped', 'chosen-secret')`);
  await run(`INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "dispatchCount", "createdAt") VALUES
    ('ev1', 'userA', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":1}', '{"id":"run1"}', 'key-1', 2, ${ago(20)}),
    ('ev2', 'userA', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","n":2}', NULL, NULL, 3, ${ago(10)}),
    ('ev3', 'userB', 'ACTOR.RUN.SUCCEEDED', '{"actorId":"b"}', NULL, NULL, 1, ${ago(1)})`);
  await run(`INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource", "status",
      "attemptCount", "roundStartAttempt", "createdAt", "finishedAt") VALUES
    ('succeeded', 'userA', 'hookActive', 'ev1', 'ACTOR.RUN.SUCCEEDED', NULL, NULL, 'SUCCEEDED', 1, 0, ${ago(20)}, ${ago(19)}),
    ('failed', 'userA', 'hookActive', 'ev2', 'ACTOR.RUN.SUCCEEDED', NULL, NULL, 'FAILED', 2, 0, ${ago(10)}, ${ago(9)}),
    ('testDone', 'userA', 'hookActive', NULL, 'TEST', '{"actorId":"TEST_ACTOR_ID"}', '{"id":"TEST_ACTOR_RUN_ID"}', 'SUCCEEDED', 1, 0, ${ago(1)}, ${ago(1)})`);
  await run(`INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource", "createdAt",
      "state", "fairKey", "runAt", "attemptCount", "leasedBy", "leasedAt", "leaseExpiresAt", "hostKey") VALUES
    ('ready', 'userA', 'hookActive', 'ev1', 'ACTOR.RUN.SUCCEEDED', NULL, NULL, ${ago(20)}, 'READY', 1, ${ago(20)}, 0, NULL, NULL, NULL, NULL),
    ('scheduled', 'userA', 'hookActive', 'ev2', 'ACTOR.RUN.SUCCEEDED', NULL, NULL, ${ago(10)}, 'SCHEDULED', 0,
      timezone('UTC', now()) + interval '1 hour', 1, NULL, NULL, NULL, NULL),
    ('leased', 'userA', 'hookActive', 'ev2', 'ACTOR.RUN.SUCCEEDED', NULL, NULL, ${ago(10)}, 'LEASED', 0, ${ago(10)}, 2,
      'old-worker', ${ago(1)}, ${ago(1)}, 'h'),
    ('test', 'userA', 'hookActive', NULL, 'TEST', '{"actorId":"TEST_ACTOR_ID"}', '{"id":"TEST_ACTOR_RUN_ID"}', ${ago(1)}, 'READY', 2,
      ${ago(1)}, 0, NULL, NULL, NULL, NULL),
    ('held', 'userB', 'hookStopped', 'ev3', 'ACTOR.RUN.SUCCEEDED', NULL, NULL, ${ago(1)}, 'HELD', 0, ${ago(1)}, 0, NULL, NULL, NULL, NULL)`);
  await run(`INSERT INTO "DispatchCall" ("dispatchId", "webhookId", "attempt", "startedAt", "finishedAt", "outcome",
      "errorMessage", "responseStatus", "responseBody", "requestUrl", "requestHeaders", "requestBody", "responseHeaders") VALUES
    ('succeeded', 'hookActive', 1, ${ago(19)}, ${ago(19)}, 'succeeded', NULL, 200, 'ok', '${receiverUrl}/active', '{"b":"2"}', '{"p":1}', '{}'),
    ('failed', 'hookActive', 1, ${ago(10)}, ${ago(10)}, 'retrying', NULL, 503, 'busy', NULL, NULL, NULL, NULL),
    ('failed', 'hookActive', 2, ${ago(9)}, ${ago(9)}, 'failed', NULL, 503, 'still busy', NULL, NULL, NULL, NULL),
    ('scheduled', 'hookActive', 1, ${ago(10)}, ${ago(10)}, 'retrying', 'Connection refused', NULL, NULL, NULL, NULL, NULL, NULL),
    ('leased', 'hookActive', 1, ${ago(10)}, ${ago(10)}, 'retrying', NULL, 500, 'boom', NULL, NULL, NULL, NULL),
    ('testDone', 'hookActive', 1, ${ago(1)}, ${ago(1)}, 'succeeded', NULL, 200, 'ok', NULL, NULL, NULL, NULL)`);
}

describe('upgrading to history partitions loses nothing', () => {
  test('every row kept column for column, in weekly partitions, and every queued dispatch still delivers', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const db = await olderInstallation(BEFORE_PARTITIONS);
    await fillBeforePartitions(db, receiver.url);
    const before = await Promise.all(TABLES.map(([table, order]) => snapshot(db, table, order)));

    expect(await db.migrate()).toContain('20261202200000_history_partitions');
    const after = await Promise.all(TABLES.map(([table, order]) => snapshot(db, table, order)));
    // Users gain their own retention (none yet) and calls the compact request's columns (empty:
    // old calls keep their full request); every other column is as it was.
    const added: Record<string, Record<string, unknown>> = {
      User: { retentionDays: null },
      DispatchCall: { requestTimestamp: null, requestSignatures: null, requestParts: null },
    };
    const events = before[TABLES.findIndex(([table]) => table === 'Event')] ?? [];
    for (const [index, [table]] of TABLES.entries()) {
      let expected = (before[index] ?? []).map((row) => ({ ...(row as object), ...added[table] }));
      // (The later migration gives dispatches that finished in a later week their event's data.)
      if (table === 'Dispatch') expected = withLateEventData(expected, events) as typeof expected;
      expect({ table, rows: after[index] }).toEqual({ table, rows: withoutDropped(table, expected) });
    }
    // The rows are in week partitions now (three weeks of history), no row outside one.
    const placed = await db.prisma.$queryRawUnsafe<Array<{ table: string; weeks: number }>>(
      `SELECT 'Event' AS "table", count(DISTINCT tableoid)::int AS "weeks" FROM "Event"
      UNION ALL SELECT 'Dispatch', count(DISTINCT tableoid)::int FROM "Dispatch"
      UNION ALL SELECT 'DispatchCall', count(DISTINCT tableoid)::int FROM "DispatchCall"`,
    );
    for (const row of placed) expect(row.weeks).toBeGreaterThanOrEqual(2);
    const partitioned = await db.prisma.$queryRawUnsafe<Array<{ relname: string }>>(
      `SELECT relname FROM pg_class WHERE relkind = 'p' AND relname IN ('Event', 'Dispatch', 'DispatchCall') ORDER BY 1`,
    );
    expect(partitioned.map((row) => row.relname)).toEqual(['Dispatch', 'DispatchCall', 'Event']);

    // The idempotency key still holds across weeks: publishing it again stores nothing.
    const again = await db.prisma.$queryRawUnsafe<Array<{ id: string }>>(
      `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "idempotencyKey", "createdAt")
      SELECT 'ev9', 'userA', 'X', '{}', 'key-1', timezone('UTC', now())
      WHERE NOT EXISTS (SELECT 1 FROM "Event" WHERE "userId" = 'userA' AND "idempotencyKey" = 'key-1')
      ON CONFLICT DO NOTHING RETURNING "id"`,
    );
    expect(again).toEqual([]);

    // Every queued dispatch delivers: the due ones now (the lapsed lease's too), the retry when it
    // is due, the held one once its webhook is switched on.
    const clock = new ManualClock();
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    cleanups.push(() => sender.close());
    const worker = new DeliveryWorker({
      prisma: db.prisma,
      sender,
      logger: createLogger({ LOG_LEVEL: 'silent' }),
      settings: TEST_WORKER_SETTINGS,
      clock: clock.now,
      random: () => 0.5,
    });
    expect(await worker.runOnce()).toBe(3);
    clock.advance(2 * 3600_000);
    expect(await worker.runOnce()).toBe(1);
    await db.prisma.webhook.update({ where: { id: 'hookStopped' }, data: { state: 'ACTIVE' } });
    expect(await releaseHeld(sqlFor(db.prisma), { webhookId: 'hookStopped' })).toBe(1);
    expect(await worker.runOnce()).toBe(1);
    const sorted = (list: unknown[]) => list.map((item) => JSON.stringify(item)).sort();
    expect(sorted(receiver.received.map((request) => JSON.parse(request.body).eventData))).toEqual(
      // (jsonb's key order: shorter keys first)
      sorted([
        { actorId: 'TEST_ACTOR_ID' },
        { n: 1, actorId: 'a' },
        { n: 2, actorId: 'a' },
        { n: 2, actorId: 'a' },
        { actorId: 'b' },
      ]),
    );
    const dispatches = new Map((await findDispatches(db.prisma)).map((dispatch) => [dispatch.id, dispatch]));
    for (const id of ['ready', 'scheduled', 'leased', 'test', 'held', 'succeeded', 'testDone']) {
      expect([id, dispatches.get(id)?.status]).toEqual([id, 'SUCCEEDED']);
    }
    expect(dispatches.get('failed')?.status).toBe('FAILED');
    // The calls from before the upgrade are still the dispatches' first ones; the lapsed lease's
    // attempt is interrupted and the next one answered.
    expect(dispatches.get('leased')?.calls.map((call) => [call.attempt, call.responseStatus])).toEqual([
      [1, 500],
      [2, null],
      [3, 200],
    ]);
    expect(dispatches.get('scheduled')?.calls.map((call) => [call.attempt, call.responseStatus])).toEqual([
      [1, null],
      [2, 200],
    ]);
  }, 300_000);
});
