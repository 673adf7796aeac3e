import type {
  DeliveryHistogramBucket,
  DispatchLogInput,
  DispatchLogItem,
  EventLogItem,
  InstallationOverview,
  List,
  QueueState,
  WebhookSearchInput,
  WebhookSummary,
} from '@ricochet/schema';
import { preparedName, sqlFor } from '../db/sql.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { type HistoryPartition, historyStorage } from '../history/partitions.ts';
import { historyWindow, type RetentionPolicy } from '../history/retention.ts';
import { DISPATCH_ROWS, earliestCallStartSql, stillQueued } from '../queue/index.ts';
import { recordNotFound } from './errors.ts';
import { statsOf, webhookStats } from './webhook-stats.ts';
import { toWebhookListItem, WEBHOOK_DEFINITION_COLUMNS } from './webhooks.ts';

// The dashboard's read models. Every figure is computed in SQL from the dispatch rows (the hot
// paths write no counters), over the (webhookId, createdAt) / (userId, createdAt) indexes of the
// queue and the history (DISPATCH_ROWS is both), and every list is a page: nothing here reads a
// whole table into memory.

const DISPATCHES = Prisma.raw(DISPATCH_ROWS);

const HOUR_MS = 3600_000;

/** A timestamp(3) literal in UTC: the columns are UTC timestamps without a zone. */
function utcTimestamp(date: Date): Prisma.Sql {
  return Prisma.sql`${date.toISOString().replace('Z', '')}::timestamp(3)`;
}

function page<Item>(items: Item[], total: number, offset: number, limit: number): List<Item> {
  return { total, offset, limit, count: items.length, desc: true, items };
}

type OutcomeCounts = { succeeded: number; failed: number; active: number };

/** Succeeded / failed / active dispatches per webhook created since `since`. */
async function outcomesByWebhook(
  prisma: PrismaClient,
  webhookIds: string[],
  since: Date,
): Promise<Map<string, OutcomeCounts>> {
  if (webhookIds.length === 0) return new Map();
  const rows = await prisma.$queryRaw<Array<OutcomeCounts & { webhookId: string }>>`
    SELECT "webhookId",
      count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS succeeded,
      count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
      count(*) FILTER (WHERE status = 'ACTIVE')::int AS active
    FROM ${DISPATCHES} x
    WHERE "webhookId" IN (${Prisma.join(webhookIds)}) AND "createdAt" >= ${utcTimestamp(since)}
    GROUP BY "webhookId"`;
  return new Map(rows.map(({ webhookId, ...counts }) => [webhookId, counts]));
}

/** The webhook table: search (URL, description, id), state and event type filters, one page. */
export async function searchWebhooks(
  prisma: PrismaClient,
  args: {
    userId: string;
    query: Required<Omit<WebhookSearchInput, 'search' | 'state' | 'eventType'>> & WebhookSearchInput;
  },
): Promise<List<WebhookSummary>> {
  const { search, state, eventType, offset, limit } = args.query;
  const where: Prisma.WebhookWhereInput = {
    userId: args.userId,
    isAdHoc: false,
    ...(state && { state }),
    ...(eventType && { eventTypes: { has: eventType } }),
    ...(search && {
      OR: [
        { requestUrl: { contains: search, mode: 'insensitive' } },
        { description: { contains: search, mode: 'insensitive' } },
        { id: search },
      ],
    }),
  };
  const [total, rows] = await Promise.all([
    prisma.webhook.count({ where }),
    // At most 100 rows, without the templates and static headers a row of the table never shows.
    prisma.webhook.findMany({
      where,
      omit: WEBHOOK_DEFINITION_COLUMNS,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: offset,
      take: limit,
    }),
  ]);
  const ids = rows.map((row) => row.id);
  const [outcomes, stats] = await Promise.all([
    outcomesByWebhook(prisma, ids, new Date(Date.now() - 24 * HOUR_MS)),
    webhookStats(prisma, rows),
  ]);
  const items = rows.map((row): WebhookSummary => {
    const last24h = outcomes.get(row.id) ?? { succeeded: 0, failed: 0, active: 0 };
    const finished = last24h.succeeded + last24h.failed;
    return {
      ...toWebhookListItem(row, statsOf(stats, row.id)),
      last24h,
      successRate24h: finished === 0 ? null : last24h.succeeded / finished,
    };
  });
  return page(items, total, offset, limit);
}

/** Dispatches per hour (by creation) and outcome, for a webhook or all of a user's, gaps filled with zeros. */
export async function deliveryHistogram(
  prisma: PrismaClient,
  args: { userId: string; webhookId?: string; hours: number; now?: Date },
): Promise<DeliveryHistogramBucket[]> {
  const now = args.now ?? new Date();
  const firstHour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - (args.hours - 1) * HOUR_MS);
  if (args.webhookId) {
    const owned = await prisma.webhook.count({ where: { id: args.webhookId, userId: args.userId } });
    if (owned === 0) throw recordNotFound('Webhook', args.webhookId);
  }
  // Prepared (two texts: a webhook's, a user's): planning the union over every weekly partition
  // cost as much as counting a day of dispatches.
  const scope = args.webhookId ? 'x."webhookId" = $1' : 'x."userId" = $1';
  const text = `SELECT to_char(date_trunc('hour', x."createdAt"), 'YYYY-MM-DD"T"HH24:00:00.000"Z"') AS hour,
      count(*) FILTER (WHERE x."status" = 'SUCCEEDED')::int AS succeeded,
      count(*) FILTER (WHERE x."status" = 'FAILED')::int AS failed,
      count(*) FILTER (WHERE x."status" = 'ACTIVE' AND x."attemptCount" > 0)::int AS retrying,
      count(*) FILTER (WHERE x."status" = 'ACTIVE' AND x."attemptCount" = 0)::int AS pending
    FROM ${DISPATCH_ROWS} x
    WHERE ${scope} AND x."createdAt" >= $2::timestamp(3)
    GROUP BY 1`;
  const rows = await sqlFor(prisma).query<Omit<DeliveryHistogramBucket, 'hour'> & { hour: string }>(
    text,
    [args.webhookId ?? args.userId, firstHour.toISOString().replace('Z', '')],
    preparedName('delivery_histogram', text),
  );
  const byHour = new Map(rows.map((row) => [row.hour, row]));
  return Array.from({ length: args.hours }, (_, index) => {
    const hour = new Date(firstHour.getTime() + index * HOUR_MS).toISOString();
    const row = byHour.get(hour);
    return {
      hour,
      succeeded: row?.succeeded ?? 0,
      failed: row?.failed ?? 0,
      retrying: row?.retrying ?? 0,
      pending: row?.pending ?? 0,
    };
  });
}

/** The dispatch log: newest first, filtered by webhook, event, status, event type and time window. */
export async function listDispatchLog(
  prisma: PrismaClient,
  args: { userId: string; query: DispatchLogInput & { offset: number; limit: number } },
): Promise<List<DispatchLogItem>> {
  const { webhookId, eventId, status, eventType, since, until, offset, limit } = args.query;
  if (webhookId) {
    const owned = await prisma.webhook.count({ where: { id: webhookId, userId: args.userId } });
    if (owned === 0) throw recordNotFound('Webhook', webhookId);
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const filter = (condition: (placeholder: string) => string, value: unknown) => {
    if (value === undefined || value === null || value === '') return;
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  // A webhook's dispatches are all its owner's (checked above), so with a webhook the user's
  // condition is left out: the count is then an index-only scan of (webhookId, createdAt), not
  // one heap fetch per dispatch to check userId.
  if (webhookId) filter((p) => `x."webhookId" = ${p}`, webhookId);
  else filter((p) => `x."userId" = ${p}`, args.userId);
  filter((p) => `x."eventId" = ${p}`, eventId);
  filter((p) => `x."status"::text = ${p}`, status);
  filter((p) => `x."eventType" = ${p}`, eventType);
  filter(
    (p) => `x."createdAt" >= ${p}::timestamp(3)`,
    since && new Date(since).toISOString().replace('Z', ''),
  );
  filter(
    (p) => `x."createdAt" <= ${p}::timestamp(3)`,
    until && new Date(until).toISOString().replace('Z', ''),
  );
  const history = await historyWindow(prisma, args.userId);
  filter(
    (p) => `(${stillQueued('x')} OR x."createdAt" >= ${p}::timestamp(3))`,
    history?.historyStartsAt.toISOString().replace('Z', ''),
  );
  // A dispatch whose webhook is gone was left by a publish racing the webhook's deletion; the
  // worker sweeps it. A semi-join, not a join: the page is then taken in index order, newest
  // first, and stops at its last row, whatever the planner thinks the user's rows number (a join
  // below the LIMIT, planned from statistics that lag a tenant's growth, sorted all of them).
  const condition = [...where, 'EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = x."webhookId")'].join(
    ' AND ',
  );
  const sql = sqlFor(prisma);
  type Item = {
    id: string;
    webhookId: string;
    requestUrl: string;
    eventId: string | null;
    eventType: string;
    status: DispatchLogItem['status'];
    attemptCount: number;
    createdAt: Date;
    finishedAt: Date | null;
    nextAttemptAt: Date | null;
    queueState: string | null;
    lastResponseStatus: number | null;
  };
  // Prepared (one name per set of filters): planning this union over every weekly partition took
  // more than running it.
  const countText = `SELECT count(*)::int AS "total" FROM ${DISPATCH_ROWS} x WHERE ${where.join(' AND ')}`;
  const pageText = `WITH page AS MATERIALIZED (
        SELECT x."id", x."webhookId", x."eventId", x."eventType", x."status", x."attemptCount",
          x."createdAt", x."finishedAt", x."nextAttemptAt", x."queueState"
        FROM ${DISPATCH_ROWS} x WHERE ${condition}
        ORDER BY x."createdAt" DESC, x."id" DESC OFFSET $${params.length + 1} LIMIT $${params.length + 2}
      )
      -- Per row, by key: a join here hashed every webhook of the installation for 20 rows.
      SELECT x.*, w."requestUrl",
        (SELECT c."responseStatus" FROM "DispatchCall" c
         WHERE c."dispatchId" = x."id" AND c."startedAt" >= ${earliestCallStartSql('x."createdAt"')}
         ORDER BY c."attempt" DESC LIMIT 1) AS "lastResponseStatus"
      FROM page x CROSS JOIN LATERAL (SELECT w."requestUrl" FROM "Webhook" w WHERE w."id" = x."webhookId") w
      ORDER BY x."createdAt" DESC, x."id" DESC`;
  const [counted, rows] = await Promise.all([
    // The total leaves the webhook check out, so it is an index-only scan of (userId, createdAt)
    // or (webhookId, createdAt), not a heap fetch per dispatch counted. What that can count too: a queued dispatch left
    // by a webhook deleted during a publish (the worker sweeps those), and, rarer, a dispatch that
    // finished while its webhook was being deleted (in history until its week drops); the page
    // leaves both out.
    sql.query<{ total: number }>(countText, params, preparedName('dispatch_log_total', countText)),
    sql.query<Item>(pageText, [...params, offset, limit], preparedName('dispatch_log_page', pageText)),
  ]);
  const items = rows.map(
    (row): DispatchLogItem => ({
      id: row.id,
      webhookId: row.webhookId,
      requestUrl: row.requestUrl,
      eventId: row.eventId,
      eventType: row.eventType,
      status: row.status,
      attemptCount: row.attemptCount,
      createdAt: row.createdAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? null,
      nextAttemptAt:
        row.status === 'ACTIVE' && row.queueState !== 'LEASED'
          ? (row.nextAttemptAt?.toISOString() ?? null)
          : null,
      queueState: (row.queueState as QueueState | null) ?? null,
      lastResponseStatus: row.lastResponseStatus,
    }),
  );
  return page(items, counted[0]?.total ?? 0, offset, limit);
}

/** Recent events with their fan-out: how many dispatches each made and how they are doing. */
export async function listEventLog(
  prisma: PrismaClient,
  args: { userId: string; offset: number; limit: number },
): Promise<List<EventLogItem>> {
  const history = await historyWindow(prisma, args.userId);
  const where = {
    userId: args.userId,
    ...(history && { createdAt: { gte: history.historyStartsAt } }),
  };
  const [total, rows] = await Promise.all([
    prisma.event.count({ where }),
    prisma.event.findMany({
      where,
      // The list shows no payload; an event's page does (events.get).
      select: { id: true, eventType: true, createdAt: true, dispatchCount: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: args.offset,
      take: args.limit,
    }),
  ]);
  const counts =
    rows.length === 0
      ? []
      : await sqlFor(prisma).query<{ eventId: string; status: string; count: number }>(
          // A dispatch's createdAt is its event's: given with the id, it makes the lookup an index
          // range per event (userId, createdAt) rather than a pass over the user's history.
          `SELECT x."eventId", x."status"::text AS "status", count(*)::int AS "count"
          FROM ${DISPATCH_ROWS} x
          WHERE x."userId" = $1 AND x."eventId" = ANY($2::text[]) AND x."createdAt" = ANY($3::timestamp(3)[])
          GROUP BY 1, 2`,
          [
            args.userId,
            rows.map((row) => row.id),
            rows.map((row) => row.createdAt.toISOString().replace('Z', '')),
          ],
        );
  const items = rows.map((row): EventLogItem => {
    const of = (status: string) =>
      counts.find((count) => count.eventId === row.id && count.status === status)?.count ?? 0;
    return {
      id: row.id,
      eventType: row.eventType,
      createdAt: row.createdAt.toISOString(),
      dispatchCount: row.dispatchCount,
      succeeded: of('SUCCEEDED'),
      failed: of('FAILED'),
      active: of('ACTIVE'),
    };
  });
  return page(items, total, args.offset, args.limit);
}

/** The partitions of the three history tables, one row per week. */
function weeksOf(partitions: HistoryPartition[]): InstallationOverview['storage']['weeks'] {
  const weeks = new Map<number, InstallationOverview['storage']['weeks'][number]>();
  const field = { Event: 'events', Dispatch: 'dispatches', DispatchCall: 'calls' } as const;
  for (const partition of partitions) {
    const week = weeks.get(partition.from.getTime()) ?? {
      from: partition.from.toISOString(),
      to: partition.to.toISOString(),
      events: { rows: 0, bytes: 0 },
      dispatches: { rows: 0, bytes: 0 },
      calls: { rows: 0, bytes: 0 },
    };
    week[field[partition.table]] = { rows: partition.rows, bytes: partition.bytes };
    weeks.set(partition.from.getTime(), week);
  }
  return [...weeks.values()];
}

/** The whole installation at a glance, for admins: queue, throughput, failures, slow targets. */
export async function installationOverview(
  prisma: PrismaClient,
  policy: RetentionPolicy,
  now = new Date(),
): Promise<InstallationOverview> {
  const hourAgo = utcTimestamp(new Date(now.getTime() - HOUR_MS));
  const fiveMinutesAgo = utcTimestamp(new Date(now.getTime() - 5 * 60_000));
  const [queue] = await prisma.$queryRaw<Array<{ queueDepth: number; dueNow: number }>>`
    SELECT count(*)::int AS "queueDepth",
      count(*) FILTER (WHERE "state" IN ('READY', 'HOST_WAIT') OR ("state" = 'SCHEDULED' AND "runAt" <= ${utcTimestamp(now)}))::int AS "dueNow"
    FROM "DispatchQueue"`;
  const [recent] = await prisma.$queryRaw<Array<{ calls5m: number; succeeded: number; failed: number }>>`
    SELECT
      (SELECT count(*)::int FROM "DispatchCall" WHERE "startedAt" >= ${fiveMinutesAgo}) AS calls5m,
      count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS succeeded,
      count(*) FILTER (WHERE status = 'FAILED')::int AS failed
    FROM "Dispatch" WHERE "finishedAt" >= ${hourAgo}`;
  const slowest = await prisma.$queryRaw<
    Array<{ host: string; calls: number; avgMs: number; maxMs: number }>
  >`
    SELECT substring(w."requestUrl" from '^[a-zA-Z]+://([^/?#]+)') AS host,
      count(*)::int AS calls,
      round(avg(extract(epoch from c."finishedAt" - c."startedAt") * 1000))::float8 AS "avgMs",
      round(max(extract(epoch from c."finishedAt" - c."startedAt") * 1000))::float8 AS "maxMs"
    FROM "DispatchCall" c
    JOIN "Webhook" w ON w.id = c."webhookId"
    WHERE c."startedAt" >= ${hourAgo} AND c."finishedAt" IS NOT NULL
    GROUP BY 1 ORDER BY "avgMs" DESC LIMIT 5`;
  const [users, webhooks, storage] = await Promise.all([
    prisma.user.count(),
    prisma.webhook.count(),
    historyStorage(prisma, policy),
  ]);
  const finished = (recent?.succeeded ?? 0) + (recent?.failed ?? 0);
  return {
    queueDepth: queue?.queueDepth ?? 0,
    dueNow: queue?.dueNow ?? 0,
    deliveriesPerMinute: (recent?.calls5m ?? 0) / 5,
    failureRate1h: finished === 0 ? null : (recent?.failed ?? 0) / finished,
    users,
    webhooks,
    slowestTargets: slowest.map((row) => ({ ...row, host: row.host ?? '?' })),
    storage: {
      databaseBytes: storage.databaseBytes,
      retentionDays: policy.installationDays,
      longestRetentionDays: storage.retentionDays,
      oldestPartitionStart: storage.oldestPartitionStart?.toISOString() ?? null,
      nextDropAt: storage.nextDropAt?.toISOString() ?? null,
      weeks: weeksOf(storage.partitions),
    },
  };
}
