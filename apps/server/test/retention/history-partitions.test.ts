import { type Sql, sqlFor } from '../../src/db/sql.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import {
  createHistoryPartitions,
  HistoryMaintenance,
  isMissingPartition,
  listHistoryPartitions,
  weekStart,
} from '../../src/history/partitions.ts';
import type { RetentionPolicy } from '../../src/history/retention.ts';
import { createLogger } from '../../src/logger.ts';
import { emitOperatorEvents, retentionDroppedEvent } from '../../src/queue/index.ts';
import { installationOverview } from '../../src/services/delivery-stats.ts';
import { getDispatchDetail } from '../../src/services/dispatches.ts';
import { describe, expect, ManualClock, respond, test } from '../delivery-fixtures.ts';
import { findDispatches } from '../dispatch-rows.ts';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const POLICY: RetentionPolicy = { installationDays: 7 };
const RUN_EVENT = { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'a', n: 1 } };
const silent = createLogger({ LOG_LEVEL: 'silent' });

function maintenanceOf(prisma: PrismaClient, clock?: ManualClock, policy = POLICY) {
  return new HistoryMaintenance({ prisma, policy, logger: silent, ...(clock && { clock: clock.now }) });
}

/** The week starts (ms) that have a partition in every history table. */
async function coveredWeeks(sql: Sql): Promise<Set<number>> {
  const partitions = await listHistoryPartitions(sql);
  const weeks = new Map<number, Set<string>>();
  for (const p of partitions) {
    const tables = weeks.get(p.from.getTime()) ?? new Set();
    tables.add(p.table);
    weeks.set(p.from.getTime(), tables);
  }
  return new Set([...weeks].filter(([, tables]) => tables.size === 3).map(([week]) => week));
}

const iso = (at: Date) => at.toISOString();
/** The three partitions of the week `at` is in. */
const weekPartitions = (at: Date) => {
  const suffix = weekStart(at).toISOString().slice(0, 10).replaceAll('-', '');
  return ['Event', 'Dispatch', 'DispatchCall'].map((table) => `${table}_w${suffix}`);
};

/**
 * History written `at` (an old week) straight into its partitions: per index an event, its finished
 * dispatch and one call, for `userId`'s `webhookId`.
 */
async function seedHistory(
  sql: Sql,
  args: { userId: string; webhookId: string; at: Date; count: number; prefix: string },
): Promise<void> {
  await createHistoryPartitions(sql, { from: args.at, to: new Date(args.at.getTime() + 1) });
  const { prefix, userId, webhookId, count } = args;
  const at = iso(args.at);
  await sql.query(
    `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "dispatchCount", "createdAt")
    SELECT $1 || 'e' || i, $2, 'ACTOR.RUN.SUCCEEDED', '{"old":true}', 1, $3::timestamp FROM generate_series(1, $4::int) i`,
    [prefix, userId, at, count],
  );
  await sql.query(
    `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount", "createdAt", "finishedAt")
    SELECT $1 || 'd' || i, $2, $3, $1 || 'e' || i, 'ACTOR.RUN.SUCCEEDED', 'SUCCEEDED', 1, $4::timestamp, $4::timestamp
    FROM generate_series(1, $5::int) i`,
    [prefix, userId, webhookId, at, count],
  );
  await sql.query(
    `INSERT INTO "DispatchCall" ("dispatchId", "attempt", "webhookId", "startedAt", "finishedAt", "outcome", "responseStatus")
    SELECT $1 || 'd' || i, 1, $2, $3::timestamp, $3::timestamp, 'succeeded', 200 FROM generate_series(1, $4::int) i`,
    [prefix, webhookId, at, count],
  );
}

/** Waits for `condition`, checking every 20 ms, up to `budgetMs` (generous: a loaded 2-core machine). */
async function until(condition: () => Promise<boolean> | boolean, budgetMs = 60_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('history partitions', () => {
  test('weeks are created ahead, and again after the clock jumps; a jump ahead drops nothing current', async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const clock = new ManualClock();
    const maintenance = maintenanceOf(api.prisma, clock);
    await maintenance.runOnce();
    const thisWeek = weekStart(clock.now()).getTime();
    const weeks = await coveredWeeks(sql);
    for (let week = 0; week <= 4; week++) expect(weeks.has(thisWeek + week * WEEK)).toBe(true);

    // The process's clock jumps ten weeks ahead (a VM resumed, an NTP step): one run catches up.
    clock.advance(10 * WEEK);
    const report = await maintenance.runOnce();
    expect(report?.dropped).toEqual([]);
    const after = await coveredWeeks(sql);
    for (let week = 10; week <= 14; week++) expect(after.has(thisWeek + week * WEEK)).toBe(true);
    // The database's clock did not jump: its week (where events go) is still there.
    expect(after.has(thisWeek)).toBe(true);

    // Rows stamped by the jumped clock (calls and finished dispatches are stamped by the process)
    // have their week.
    const writeCallAt = (at: Date) =>
      sql.query(
        `INSERT INTO "DispatchCall" ("dispatchId", "attempt", "webhookId", "startedAt") VALUES ('d', 1, 'w', $1::timestamp)`,
        [iso(at)],
      );
    await writeCallAt(clock.now());
    const [call] = await sql.query<{ partition: string }>(
      `SELECT tableoid::regclass::text AS "partition" FROM "DispatchCall"`,
    );
    const jumpedWeek = weekStart(clock.now()).toISOString().slice(0, 10).replaceAll('-', '');
    expect(call?.partition).toBe(`"DispatchCall_w${jumpedWeek}"`);
    // Past every week made so far, a write is refused with the error the worker answers by making
    // the week (and writing again); the next run makes it too.
    clock.advance(30 * WEEK);
    const refused = await writeCallAt(clock.now()).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isMissingPartition(refused)).toBe(true);
    await maintenance.runOnce();
    await writeCallAt(new Date(clock.now().getTime() + 1));

    // Deliveries go on across the jump (what is due follows the injected clock).
    const receiver = await delivery.receiver();
    await delivery.webhook({ requestUrl: receiver.url, condition: {} });
    await delivery.publish(RUN_EVENT);
    expect(await delivery.worker({ clock }).runOnce()).toBe(1);
    await until(async () => (await findDispatches(api.prisma))[0]?.status === 'SUCCEEDED');
    expect(receiver.received).toHaveLength(1);
  });

  test('every week, made by the migrations or by maintenance later, is vacuumed after a fixed number of new rows', async ({
    api,
  }) => {
    const sql = sqlFor(api.prisma);
    const clock = new ManualClock();
    // Ten weeks ahead: maintenance makes weeks the migrations did not.
    clock.advance(10 * WEEK);
    expect((await maintenanceOf(api.prisma, clock).runOnce())?.created).toBeGreaterThan(0);
    const partitions = await sql.query<{ parent: string; partition: string; options: string[] | null }>(
      `SELECT p.relname AS "parent", c.relname AS "partition", c.reloptions AS "options"
      FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_class p ON p.oid = h.inhparent
      WHERE p.relname IN ('Event', 'Dispatch', 'DispatchCall')`,
    );
    const weeks = new Set(partitions.map((row) => row.partition.replace(/^.*_w/, '')));
    expect(weeks.size).toBeGreaterThanOrEqual(15);
    expect(partitions).toHaveLength(weeks.size * 3);
    for (const row of partitions) {
      expect(row.options, row.partition).toEqual(
        expect.arrayContaining([
          'autovacuum_vacuum_insert_threshold=10000',
          'autovacuum_vacuum_insert_scale_factor=0',
        ]),
      );
    }
  });

  test('retention drops whole old weeks while deliveries run: nothing in flight lost, no error answered', async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url, condition: {} });
    const now = new Date();
    for (const weeksAgo of [8, 9, 10]) {
      await seedHistory(sql, {
        userId: api.admin.id,
        webhookId: webhook.id,
        at: new Date(now.getTime() - weeksAgo * WEEK),
        count: 300,
        prefix: `old${weeksAgo}`,
      });
    }
    const worker = delivery.worker({ listen: true });
    await worker.start();
    const maintenance = maintenanceOf(api.prisma);

    // Publishing and reading go on while the old weeks are dropped.
    const statuses: number[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 60; i++) {
        const published = await api.request('POST', '/v2/events', {
          body: { ...RUN_EVENT, eventData: { i } },
        });
        const listed = await api.request('GET', '/v2/webhook-dispatches?limit=5&desc=1');
        statuses.push(published.statusCode, listed.statusCode);
      }
    })();
    const [report] = await Promise.all([maintenance.runOnce(), traffic]);
    for (const weeksAgo of [8, 9, 10]) {
      expect(report?.dropped).toEqual(
        expect.arrayContaining(weekPartitions(new Date(now.getTime() - weeksAgo * WEEK))),
      );
    }
    expect(new Set(statuses)).toEqual(new Set([201, 200]));

    await until(() => receiver.received.length >= 60);
    await until(async () =>
      (await findDispatches(api.prisma)).every((dispatch) => dispatch.status === 'SUCCEEDED'),
    );
    const dispatches = await findDispatches(api.prisma);
    expect(dispatches).toHaveLength(60);
    expect(new Set(receiver.received.map((request) => JSON.parse(request.body).eventData.i)).size).toBe(60);
    const oldest = Math.min(...(await listHistoryPartitions(sql)).map((p) => p.from.getTime()));
    expect(oldest).toBeGreaterThan(now.getTime() - 8 * WEEK);
    const [left] = await sql.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "Event"`);
    expect(left?.n).toBe(60);
  });

  test("a drop is told to the operators: ricochet.retention.dropped, to an admin's subscribed webhook", async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const operations = await delivery.receiver();
    await delivery.webhook({
      requestUrl: operations.url,
      eventTypes: ['ricochet.retention.dropped'],
      condition: {},
    });
    const old = new Date(Date.now() - 10 * WEEK);
    await createHistoryPartitions(sql, { from: old, to: new Date(old.getTime() + 1) });
    const maintenance = new HistoryMaintenance({
      prisma: api.prisma,
      policy: POLICY,
      logger: silent,
      // As main.ts wires it.
      onDropped: (report) => emitOperatorEvents(sql, [retentionDroppedEvent(report)]),
    });
    const report = await maintenance.runOnce();
    expect(report?.dropped).toEqual(expect.arrayContaining(weekPartitions(old)));
    await delivery.worker().runOnce();
    expect(operations.received).toHaveLength(1);
    const payload = JSON.parse(operations.received[0]?.body ?? '{}');
    expect(payload.eventType).toBe('ricochet.retention.dropped');
    expect(payload.eventData.retentionDays).toBe(7);
    expect(payload.eventData.partitions.map((partition: { name: string }) => partition.name)).toEqual(
      expect.arrayContaining(weekPartitions(old)),
    );
    expect(payload.eventData.partitions[0]).toMatchObject({
      table: expect.stringMatching(/^(Event|Dispatch|DispatchCall)$/),
      from: expect.any(String),
      to: expect.any(String),
    });
    // A user who is not an operator is not told.
    const user = await api.createUser('retention-user');
    const theirs = await delivery.receiver();
    await api.request('POST', '/v2/webhooks', {
      token: user.token,
      body: { eventTypes: ['ricochet.retention.dropped'], requestUrl: theirs.url },
    });
    await createHistoryPartitions(sql, { from: old, to: new Date(old.getTime() + 1) });
    await maintenance.runOnce();
    await delivery.worker().runOnce();
    expect(operations.received).toHaveLength(2);
    expect(theirs.received).toHaveLength(0);
  });

  test('a dispatch still retrying past the retention survives the drop of its week and delivers its data', async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url, condition: {} });
    const old = new Date(Date.now() - 60 * DAY);
    await createHistoryPartitions(sql, { from: old, to: new Date(old.getTime() + 1) });
    await sql.query(
      `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "dispatchCount", "createdAt")
      VALUES ('oldEvent', $1, 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a","kept":true}', '{"id":"run"}', 1, $2::timestamp)`,
      [api.admin.id, iso(old)],
    );
    await sql.query(
      `INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "createdAt", "state", "runAt", "attemptCount")
      VALUES ('retrying', $1, $2, 'oldEvent', 'ACTOR.RUN.SUCCEEDED', $3::timestamp, 'SCHEDULED',
        timezone('UTC', now()) + interval '1 hour', 5)`,
      [api.admin.id, webhook.id, iso(old)],
    );

    const report = await maintenanceOf(api.prisma).runOnce();
    expect(report?.dropped).toEqual(expect.arrayContaining(weekPartitions(old)));
    // Older than the retention, but still being delivered: shown.
    const during = await api.request('GET', '/v2/webhook-dispatches/retrying');
    expect(during.statusCode).toBe(200);
    expect(during.json().data.eventData).toEqual({ actorId: 'a', kept: true });

    const clock = new ManualClock();
    clock.advance(2 * 3600_000);
    expect(await delivery.worker({ clock }).runOnce()).toBe(1);
    await until(async () => (await findDispatches(api.prisma))[0]?.status === 'SUCCEEDED');
    expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({
      eventData: { actorId: 'a', kept: true },
      resource: { id: 'run' },
    });
    // Finished, it is history created 60 days ago: past the retention, so no longer shown, and the
    // webhook says when its last dispatch was removed.
    expect((await api.request('GET', '/v2/webhook-dispatches/retrying')).statusCode).toBe(404);
    const hook = (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data;
    expect(hook.lastDispatch.status).toBe('SUCCEEDED');
    expect(hook.lastDispatch.removedAt).not.toBeNull();
  });

  test("calls stored compactly keep their body when their event's week drops before theirs", async ({
    api,
    delivery,
  }) => {
    // A call whose body is the default payload stores no body: it is rendered again from the event
    // (outbound/stored-request.ts). Calls (and the finished dispatch) of an event published weeks
    // before them live in later partitions than the event, which drops first.
    const sql = sqlFor(api.prisma);
    let failedOnce = false;
    const receiver = await delivery.receiver((request, response) => {
      const which = JSON.parse(request.body).eventData.which;
      if (which === 'retried' && !failedOnce) {
        failedOnce = true;
        return respond(500, 'not yet')(request, response);
      }
      return respond(200, 'ok')(request, response);
    });
    const webhook = await delivery.webhook({ requestUrl: receiver.url, condition: {} });
    const old = new Date(Date.now() - 20 * DAY);
    await createHistoryPartitions(sql, { from: old, to: new Date(old.getTime() + 1) });
    for (const which of ['finished', 'retried']) {
      await sql.query(
        `INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "dispatchCount", "createdAt")
        VALUES ($1, $2, 'ACTOR.RUN.SUCCEEDED', $3::jsonb, $4::jsonb, 1, $5::timestamp)`,
        [`${which}Event`, api.admin.id, JSON.stringify({ which }), JSON.stringify({ id: which }), iso(old)],
      );
      await sql.query(
        `INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "createdAt", "state", "runAt", "attemptCount")
        VALUES ($1, $2, $3, $4, 'ACTOR.RUN.SUCCEEDED', $5::timestamp, 'SCHEDULED', timezone('UTC', now()), 0)`,
        [which, api.admin.id, webhook.id, `${which}Event`, iso(old)],
      );
    }
    const clock = new ManualClock();
    clock.advance(60_000);
    const worker = delivery.worker({ clock });
    // One finishes now (this week, 20 days after its event); the other is retried.
    expect(await worker.runOnce()).toBe(2);
    await until(async () => {
      const [finished, retried] = await findDispatches(api.prisma);
      return finished?.status === 'SUCCEEDED' && retried?.calls.length === 1;
    });

    const report = await maintenanceOf(api.prisma).runOnce();
    expect(report?.dropped).toEqual(expect.arrayContaining(weekPartitions(old)));
    // The retried one's next attempt is sent with its event's data (the queue kept a copy).
    clock.advance(2 * 3600_000);
    expect(await worker.runOnce()).toBe(1);
    await until(async () => (await findDispatches(api.prisma)).every((d) => d.status === 'SUCCEEDED'));
    expect(receiver.received).toHaveLength(3);

    // The calls are stored compactly: no body of their own.
    const stored = await sql.query<{ requestBody: string | null; requestTimestamp: number | null }>(
      `SELECT "requestBody", "requestTimestamp" FROM "DispatchCall"`,
    );
    expect(stored).toHaveLength(3);
    for (const call of stored) {
      expect(call.requestBody).toBeNull();
      expect(call.requestTimestamp).not.toBeNull();
    }
    // A longer retention shows the dispatches again: each with its event's data and every call
    // with the exact body it sent.
    await api.request('PUT', `/v2/users/${api.admin.id}/retention`, { body: { retentionDays: 60 } });
    for (const which of ['finished', 'retried']) {
      const detail = await getDispatchDetail(api.prisma, { userId: api.admin.id, dispatchId: which });
      expect(detail.eventData).toEqual({ which });
      const sent = receiver.received
        .map((request) => request.body)
        .filter((body) => JSON.parse(body).eventData.which === which);
      expect(detail.calls.map((call) => call.requestBody)).toEqual(sent);
      expect(JSON.parse(sent[0] ?? '{}')).toMatchObject({ eventData: { which }, resource: { id: which } });
    }
  });

  test('per-user retention: a shorter one hides older history, a longer one holds the weeks for everyone', async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const short = await api.createUser('short');
    const webhookOf = async (token: string) =>
      (
        await api.request('POST', '/v2/webhooks', {
          token,
          body: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: 'https://example.com/h' },
        })
      ).json().data.id as string;
    const shortHook = await webhookOf(short.token);
    const adminHook = await delivery.webhook();
    const threeDaysAgo = new Date(Date.now() - 3 * DAY);
    await seedHistory(sql, {
      userId: short.id,
      webhookId: shortHook,
      at: threeDaysAgo,
      count: 2,
      prefix: 's',
    });
    await seedHistory(sql, {
      userId: api.admin.id,
      webhookId: adminHook.id,
      at: threeDaysAgo,
      count: 2,
      prefix: 'a',
    });

    // Only an admin sets it; it is checked.
    const refused = await api.request('PUT', `/v2/users/${short.id}/retention`, {
      token: short.token,
      body: { retentionDays: 1 },
    });
    expect(refused.statusCode).toBe(403);
    for (const retentionDays of [0, 1.5, 'x', 4000]) {
      const bad = await api.request('PUT', `/v2/users/${short.id}/retention`, { body: { retentionDays } });
      expect(bad.statusCode).toBe(400);
    }
    expect(
      (await api.request('PUT', '/v2/users/nobodyAtAllHere/retention', { body: { retentionDays: 1 } }))
        .statusCode,
    ).toBe(404);
    const set = await api.request('PUT', `/v2/users/${short.id}/retention`, { body: { retentionDays: 1 } });
    expect(set.statusCode).toBe(200);
    expect(set.json().data.retentionDays).toBe(1);

    const history = (await api.request('GET', '/v2/users/me/history', { token: short.token })).json().data;
    expect(history.retentionDays).toBe(1);
    expect(history.installationRetentionDays).toBe(7);
    expect(Math.abs(Date.parse(history.historyStartsAt) - (Date.now() - DAY))).toBeLessThan(60_000);

    const list = (token: string) => api.request('GET', '/v2/webhook-dispatches', { token });
    expect((await list(short.token)).json().data.total).toBe(0);
    expect((await list(api.admin.token)).json().data.total).toBe(2);
    expect((await api.request('GET', '/v2/webhook-dispatches/sd1', { token: short.token })).statusCode).toBe(
      404,
    );
    expect((await api.request('GET', '/v2/events/se1', { token: short.token })).statusCode).toBe(404);
    expect((await api.request('GET', '/v2/events/ae1')).statusCode).toBe(200);
    // Shorter than the installation's: the rows stay (the week is shared), only hidden.
    const [kept] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS "n" FROM "Dispatch" WHERE "userId" = $1`,
      [short.id],
    );
    expect(kept?.n).toBe(2);

    // A user with a longer retention holds old weeks (for everyone) until it is lifted.
    const long = await api.createUser('long');
    await api.request('PUT', `/v2/users/${long.id}/retention`, { body: { retentionDays: 100 } });
    const tenWeeksAgo = new Date(Date.now() - 10 * WEEK);
    await seedHistory(sql, { userId: long.id, webhookId: 'gone', at: tenWeeksAgo, count: 1, prefix: 'l' });
    const held = await maintenanceOf(api.prisma).runOnce();
    expect(held?.retentionDays).toBe(100);
    expect(held?.dropped).toEqual([]);
    await api.request('PUT', `/v2/users/${long.id}/retention`, { body: { retentionDays: null } });
    const dropped = await maintenanceOf(api.prisma).runOnce();
    expect(dropped?.retentionDays).toBe(7);
    expect(dropped?.dropped).toEqual(expect.arrayContaining(weekPartitions(tenWeeksAgo)));
  });

  test('operators see sizes per week, the oldest week and the next drop, in the overview and /metrics', async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const webhook = await delivery.webhook();
    const fiveWeeksAgo = new Date(Date.now() - 5 * WEEK);
    await seedHistory(sql, {
      userId: api.admin.id,
      webhookId: webhook.id,
      at: fiveWeeksAgo,
      count: 50,
      prefix: 'm',
    });
    const overview = await installationOverview(api.prisma, POLICY);
    const oldestWeek = weekStart(fiveWeeksAgo);
    expect(overview.storage.oldestPartitionStart).toBe(oldestWeek.toISOString());
    expect(overview.storage.nextDropAt).toBe(new Date(oldestWeek.getTime() + WEEK + 7 * DAY).toISOString());
    expect(overview.storage.databaseBytes).toBeGreaterThan(0);
    const week = overview.storage.weeks.find((w) => w.from === oldestWeek.toISOString());
    expect(week?.dispatches.rows).toBe(50);
    expect(week?.calls.rows).toBe(50);
    expect(week?.events.bytes).toBeGreaterThan(0);

    // The same through the admin API (and only for admins).
    const answered = await api.request('GET', '/v2/admin/overview');
    expect(answered.statusCode).toBe(200);
    expect(answered.json().data.storage.oldestPartitionStart).toBe(oldestWeek.toISOString());
    const user = await api.createUser('someone');
    expect((await api.request('GET', '/v2/admin/overview', { token: user.token })).statusCode).toBe(403);

    const maintenance = maintenanceOf(api.prisma);
    api.metrics.watchHistory(api.prisma, maintenance);
    const metrics = (await api.request('GET', '/metrics')).body;
    const label = oldestWeek.toISOString().slice(0, 10);
    expect(metrics).toMatch(
      new RegExp(`ricochet_history_partition_rows\\{table="Dispatch",week="${label}"\\} 50`),
    );
    expect(metrics).toMatch(/ricochet_history_partition_bytes\{table="DispatchCall",week="[0-9-]+"\} [1-9]/);
    expect(metrics).toMatch(/ricochet_database_bytes [1-9]/);
    expect(metrics).toContain(
      `ricochet_history_oldest_partition_timestamp_seconds ${oldestWeek.getTime() / 1000}`,
    );
    expect(metrics).toMatch(/ricochet_history_next_drop_timestamp_seconds [1-9]/);
  });
});
