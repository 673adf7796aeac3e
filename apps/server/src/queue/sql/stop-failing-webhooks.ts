import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';

/**
 * After results are recorded: a 410 Gone stops its webhook (STOPPED), and an ACTIVE webhook whose
 * newest `threshold` finished dispatches (real events, finished since it was last activated) all
 * FAILED is set TOO_MANY_ERRORS. Run after the results commit, in a statement of its own, so it
 * sees the failures other workers recorded at the same time. Reads the history through its
 * (webhookId, createdAt) index: the newest dispatches that have finished.
 */
export async function stopFailingWebhooks(
  sql: Sql,
  args: { goneWebhookIds: string[]; failedWebhookIds: string[]; threshold: number },
): Promise<void> {
  const { goneWebhookIds, failedWebhookIds, threshold } = args;
  if (goneWebhookIds.length > 0) {
    await sql.query(
      `UPDATE "Webhook" SET "state" = 'STOPPED', "modifiedAt" = ${NOW}
      WHERE "id" = ANY($1::text[]) AND "state" <> 'STOPPED'`,
      [goneWebhookIds],
    );
  }
  if (failedWebhookIds.length > 0) {
    await sql.query(
      `UPDATE "Webhook" w SET "state" = 'TOO_MANY_ERRORS', "modifiedAt" = ${NOW}
      WHERE w."id" = ANY($1::text[]) AND w."state" = 'ACTIVE'
        AND (
          SELECT count(*) FILTER (WHERE recent."status" = 'FAILED') FROM (
            SELECT d."status" FROM "Dispatch" d
            WHERE d."webhookId" = w."id" AND d."finishedAt" >= w."failuresCountedFrom" AND d."eventId" IS NOT NULL
            ORDER BY d."createdAt" DESC LIMIT $2
          ) recent
        ) >= $2`,
      [failedWebhookIds, threshold],
    );
  }
}
