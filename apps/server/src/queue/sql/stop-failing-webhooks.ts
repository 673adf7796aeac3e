import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import { WEBHOOK_COLUMNS, type WebhookColumns } from './webhook-columns.ts';

export type StoppedWebhook = WebhookColumns & { reason: 'GONE' | 'TOO_MANY_ERRORS' };

/**
 * After results are recorded: a 410 Gone stops its webhook (STOPPED), and an ACTIVE webhook whose
 * newest `threshold` finished dispatches (real events, finished since it was last activated) all
 * FAILED is set TOO_MANY_ERRORS. Run after the results are written (in their transaction or after
 * it), in statements of their own, so they see the failures other workers recorded at the same
 * time. Reads the history through its (webhookId, createdAt) index: the newest dispatches that have
 * finished. Returns the webhooks it stopped, as they are now.
 */
export async function stopFailingWebhooks(
  sql: Sql,
  args: { goneWebhookIds: string[]; failedWebhookIds: string[]; threshold: number },
): Promise<StoppedWebhook[]> {
  const { goneWebhookIds, failedWebhookIds, threshold } = args;
  const stopped: StoppedWebhook[] = [];
  if (goneWebhookIds.length > 0) {
    const rows = await sql.query<WebhookColumns>(
      `UPDATE "Webhook" w SET "state" = 'STOPPED', "modifiedAt" = ${NOW}
      WHERE w."id" = ANY($1::text[]) AND w."state" <> 'STOPPED'
      RETURNING ${WEBHOOK_COLUMNS('w')}`,
      [goneWebhookIds],
    );
    stopped.push(...rows.map((row) => ({ ...row, reason: 'GONE' as const })));
  }
  if (failedWebhookIds.length > 0) {
    const rows = await sql.query<WebhookColumns>(
      `UPDATE "Webhook" w SET "state" = 'TOO_MANY_ERRORS', "modifiedAt" = ${NOW}
      WHERE w."id" = ANY($1::text[]) AND w."state" = 'ACTIVE'
        AND (${failedInARow('w', '$2')}) >= $2
      RETURNING ${WEBHOOK_COLUMNS('w')}`,
      [failedWebhookIds, threshold],
    );
    stopped.push(...rows.map((row) => ({ ...row, reason: 'TOO_MANY_ERRORS' as const })));
  }
  return stopped;
}

/**
 * SQL: how many of webhook `alias`'s newest `count` finished dispatches (real events, finished since
 * it was last activated) FAILED. Equal to `count`: the last `count` all failed.
 */
export function failedInARow(alias: string, count: string): string {
  return `SELECT count(*) FILTER (WHERE recent."status" = 'FAILED') FROM (
      SELECT d."status" FROM "Dispatch" d
      WHERE d."webhookId" = ${alias}."id" AND d."finishedAt" >= ${alias}."failuresCountedFrom" AND d."eventId" IS NOT NULL
      ORDER BY d."createdAt" DESC LIMIT ${count}
    ) recent`;
}
