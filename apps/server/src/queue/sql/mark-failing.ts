import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import { failedInARow } from './stop-failing-webhooks.ts';
import { WEBHOOK_COLUMNS, type WebhookColumns } from './webhook-columns.ts';

/**
 * Marks ACTIVE webhooks failing (failingSince) that are not yet: those of `noResponseIds` (their
 * circuit just opened) and those of `failedIds` whose newest `failedRun` dispatches all FAILED.
 * Returns the webhooks it marked, each with why: a run of failures is reported once, until the
 * webhook recovers (markRecovered) or is switched on again.
 */
export async function markFailing(
  sql: Sql,
  args: { noResponseIds: string[]; failedIds: string[]; failedRun: number },
): Promise<Array<WebhookColumns & { reason: 'NO_RESPONSE' | 'FAILED_DISPATCHES' }>> {
  if (args.noResponseIds.length === 0 && args.failedIds.length === 0) return [];
  return sql.query(
    `UPDATE "Webhook" w SET "failingSince" = ${NOW}
    WHERE w."failingSince" IS NULL AND w."state" = 'ACTIVE'
      AND (w."id" = ANY($1::text[]) OR (w."id" = ANY($2::text[]) AND (${failedInARow('w', '$3')}) >= $3))
    RETURNING ${WEBHOOK_COLUMNS('w')},
      CASE WHEN w."id" = ANY($1::text[]) THEN 'NO_RESPONSE' ELSE 'FAILED_DISPATCHES' END AS "reason"`,
    [args.noResponseIds, args.failedIds, args.failedRun],
  );
}

/** Ends the failing run of these webhooks (a call succeeded); returns those that were failing, and since when. */
export async function markRecovered(
  sql: Sql,
  args: { webhookIds: string[] },
): Promise<Array<WebhookColumns & { failingSince: Date }>> {
  if (args.webhookIds.length === 0) return [];
  return sql.query(
    `WITH was AS (
      SELECT "id", "failingSince" FROM "Webhook"
      WHERE "id" = ANY($1::text[]) AND "failingSince" IS NOT NULL FOR UPDATE
    )
    UPDATE "Webhook" w SET "failingSince" = NULL FROM was
    WHERE w."id" = was."id"
    RETURNING ${WEBHOOK_COLUMNS('w')}, was."failingSince"`,
    [args.webhookIds],
  );
}
