import type { DispatchStatus } from '@ricochet/schema';
import { sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { DISPATCH_ROWS } from '../queue/index.ts';

/**
 * Webhook statistics, derived from the dispatch and call rows. Nothing on the publish or delivery
 * path updates a per-webhook counter: such a row is shared by every event and call of the webhook
 * and serializes them all on its lock (the cause of publish 500s under concurrency). Each figure
 * here is an index range scan: (webhookId, createdAt) of the queue and of the history,
 * DispatchCall(webhookId, startedAt).
 */
export type WebhookStats = {
  totalDispatches: number;
  /** Apify's `lastDispatch`; `removedAt` is always null, as Ricochet removes no dispatch. */
  lastDispatch: { status: DispatchStatus; finishedAt: string | null; removedAt: null } | null;
};

const NO_DISPATCHES: WebhookStats = { totalDispatches: 0, lastDispatch: null };

/** Apify's `stats.totalDispatches` and `lastDispatch` (the newest dispatch) of each webhook. */
export async function webhookStats(
  prisma: PrismaClient,
  webhookIds: string[],
): Promise<Map<string, WebhookStats>> {
  const stats = new Map<string, WebhookStats>();
  if (webhookIds.length === 0) return stats;
  const rows = await sqlFor(prisma).query<{
    id: string;
    total: number;
    status: DispatchStatus | null;
    finishedAt: Date | null;
  }>(
    `SELECT w."id",
      (SELECT count(*)::int FROM ${DISPATCH_ROWS} d WHERE d."webhookId" = w."id") AS "total",
      last."status", last."finishedAt"
    FROM unnest($1::text[]) AS w("id")
    LEFT JOIN LATERAL (
      SELECT d."status"::text AS "status", d."finishedAt" FROM ${DISPATCH_ROWS} d
      WHERE d."webhookId" = w."id" ORDER BY d."createdAt" DESC, d."id" DESC LIMIT 1
    ) last ON true`,
    [webhookIds],
  );
  for (const row of rows) {
    stats.set(row.id, {
      totalDispatches: row.total,
      lastDispatch: row.status
        ? { status: row.status, finishedAt: row.finishedAt?.toISOString() ?? null, removedAt: null }
        : null,
    });
  }
  return stats;
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
