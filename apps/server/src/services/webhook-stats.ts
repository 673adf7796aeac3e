import { CIRCUIT_CALLS_COUNTED, type DispatchStatus } from '@ricochet/schema';
import { type Sql, sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { type HistoryWindow, historyWindow } from '../history/retention.ts';
import { callSentRequest, DISPATCH_ROWS, stillQueued } from '../queue/index.ts';

/**
 * Webhook statistics, derived from the dispatch and call rows. Nothing on the publish or delivery
 * path updates a per-webhook counter: such a row is shared by every event and call of the webhook
 * and serializes them all on its lock (the cause of publish 500s under concurrency). Each figure
 * here is an index range scan: (webhookId, createdAt) of the queue and of the history,
 * DispatchCall(webhookId, startedAt).
 */
export type WebhookStats = {
  totalDispatches: number;
  /**
   * Apify's `lastDispatch`: the newest dispatch stored. `removedAt` is set when it is older than the
   * user's history window (retention): the moment it left it. Counts cover the window only.
   */
  lastDispatch: { status: DispatchStatus; finishedAt: string | null; removedAt: string | null } | null;
  /** The circuit's `callsWithoutResponse`: counted for an open circuit only, null otherwise. */
  callsWithoutResponse: number | null;
};

/** When a finished dispatch left its user's history window (created + retention), or null. */
function removedAt(row: { status: string | null; createdAt: Date | null; startsAt: Date | null }) {
  if (row.status === 'ACTIVE' || !row.createdAt || !row.startsAt || row.createdAt >= row.startsAt)
    return null;
  return new Date(row.createdAt.getTime() + (Date.now() - row.startsAt.getTime())).toISOString();
}

const NO_DISPATCHES: WebhookStats = { totalDispatches: 0, lastDispatch: null, callsWithoutResponse: null };

/**
 * Apify's `stats.totalDispatches` and `lastDispatch` (the newest dispatch) of each webhook, and for
 * those whose circuit is open, how many of their latest calls in a row got no response.
 */
export async function webhookStats(
  prisma: PrismaClient,
  webhooks: Array<{ id: string; userId: string; circuitOpenedAt: Date | null }>,
): Promise<Map<string, WebhookStats>> {
  const stats = new Map<string, WebhookStats>();
  if (webhooks.length === 0) return stats;
  const sql = sqlFor(prisma);
  const webhookIds = webhooks.map((webhook) => webhook.id);
  const windows = new Map<string, HistoryWindow | null>();
  for (const userId of new Set(webhooks.map((webhook) => webhook.userId))) {
    windows.set(userId, await historyWindow(prisma, userId));
  }
  const startsAt = webhooks.map(
    (webhook) => windows.get(webhook.userId)?.historyStartsAt.toISOString() ?? null,
  );
  const open = webhooks.filter((webhook) => webhook.circuitOpenedAt !== null).map((webhook) => webhook.id);
  const [rows, unanswered] = await Promise.all([
    sql.query<{
      id: string;
      total: number;
      status: DispatchStatus | null;
      finishedAt: Date | null;
      createdAt: Date | null;
      startsAt: Date | null;
    }>(
      `SELECT w."id", w."startsAt",
      (SELECT count(*)::int FROM ${DISPATCH_ROWS} d WHERE d."webhookId" = w."id"
        AND (w."startsAt" IS NULL OR ${stillQueued('d')} OR d."createdAt" >= w."startsAt")) AS "total",
      last."status", last."finishedAt", last."createdAt"
    FROM unnest($1::text[], $2::timestamp(3)[]) AS w("id", "startsAt")
    LEFT JOIN LATERAL (
      SELECT d."status"::text AS "status", d."finishedAt", d."createdAt" FROM ${DISPATCH_ROWS} d
      WHERE d."webhookId" = w."id" ORDER BY d."createdAt" DESC, d."id" DESC LIMIT 1
    ) last ON true`,
      [webhookIds, startsAt],
    ),
    callsWithoutResponse(sql, open),
  ]);
  for (const row of rows) {
    stats.set(row.id, {
      totalDispatches: row.total,
      lastDispatch: row.status
        ? {
            status: row.status,
            finishedAt: row.finishedAt?.toISOString() ?? null,
            removedAt: removedAt(row),
          }
        : null,
      callsWithoutResponse: unanswered.get(row.id) ?? null,
    });
  }
  return stats;
}

/**
 * Each webhook's latest finished calls in a row that got no response, as the worker counts them
 * when it opens a circuit (a request sent or tried, an error, no status), newest back to the first
 * call that got one, at most CIRCUIT_CALLS_COUNTED: DispatchCall(webhookId, startedAt) read
 * backwards. Only asked for webhooks whose circuit is open, so a healthy webhook costs nothing.
 */
async function callsWithoutResponse(sql: Sql, webhookIds: string[]): Promise<Map<string, number>> {
  if (webhookIds.length === 0) return new Map();
  const rows = await sql.query<{ id: string; count: number }>(
    `SELECT w."id", (
      SELECT count(*)::int FROM (
        SELECT bool_or(NOT (c."responseStatus" IS NULL AND c."sent" AND c."errorMessage" IS NOT NULL))
          OVER (ORDER BY c."startedAt" DESC ROWS UNBOUNDED PRECEDING) AS "answered"
        FROM (
          SELECT c."startedAt", c."responseStatus", ${callSentRequest('c')} AS "sent", c."errorMessage" FROM "DispatchCall" c
          WHERE c."webhookId" = w."id" AND c."finishedAt" IS NOT NULL
          ORDER BY c."startedAt" DESC LIMIT $2
        ) c
      ) latest WHERE NOT latest."answered"
    ) AS "count"
    FROM unnest($1::text[]) AS w("id")`,
    [webhookIds, CIRCUIT_CALLS_COUNTED],
  );
  return new Map(rows.map((row) => [row.id, row.count]));
}

export function statsOf(stats: Map<string, WebhookStats>, webhookId: string): WebhookStats {
  return stats.get(webhookId) ?? NO_DISPATCHES;
}

export type HourlyDeliveries = { hour: string; succeeded: number; failed: number; retrying: number };

/**
 * Attempts of one webhook per hour they started in, by outcome (succeeded; failed, given up; retrying, failed with
 * another attempt scheduled), for charts. Hours without attempts are left out. The caller checks
 * that the webhook belongs to the user.
 */
export async function hourlyDeliveries(
  prisma: PrismaClient,
  args: { webhookId: string; since: Date; until: Date },
): Promise<HourlyDeliveries[]> {
  const rows = await prisma.$queryRaw<
    Array<{ hour: Date; succeeded: number; failed: number; retrying: number }>
  >`
    SELECT date_trunc('hour', c."startedAt") AS "hour",
      (count(*) FILTER (WHERE c."outcome" = 'succeeded'))::int AS "succeeded",
      (count(*) FILTER (WHERE c."outcome" = 'failed'))::int AS "failed",
      (count(*) FILTER (WHERE c."outcome" = 'retrying'))::int AS "retrying"
    FROM "DispatchCall" c
    WHERE c."webhookId" = ${args.webhookId} AND c."startedAt" >= ${args.since} AND c."startedAt" < ${args.until}
      AND c."outcome" IS NOT NULL
    GROUP BY 1 ORDER BY 1`;
  return rows.map((row) => ({
    hour: row.hour.toISOString(),
    succeeded: row.succeeded,
    failed: row.failed,
    retrying: row.retrying,
  }));
}
