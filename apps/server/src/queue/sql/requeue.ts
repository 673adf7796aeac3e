import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import { DISPATCH_CHANNEL } from '../constants.ts';
import { FRONT_KEY, lastReadyKeyOf } from '../fair-key.ts';

/**
 * Moves finished dispatches (history, in `fromStatuses`) back into the queue with a full retry
 * budget (roundStartAttempt), keeping their id and call history, so receivers that dedupe on
 * webhook-id see the same message. One statement: each dispatch is in exactly one of the two
 * tables at every moment. They queue behind their webhook's backlog (start-time fair queueing, see
 * fair-key.ts), HELD when the webhook is not ACTIVE or its circuit is open, PACED when it has a rate
 * limit; test dispatches go at once. Returns the ids moved.
 */
export async function requeue(sql: Sql, args: { ids: string[]; fromStatuses: string[] }): Promise<string[]> {
  if (args.ids.length === 0) return [];
  const rows = await sql.query<{ id: string; notified: unknown }>(
    `WITH moved AS (
      DELETE FROM "Dispatch" d USING "Webhook" w
      WHERE d."id" = ANY($1::text[]) AND d."status"::text = ANY($2::text[]) AND w."id" = d."webhookId"
      RETURNING d.*, w."state" AS "webhookState", w."circuitOpenedAt", w."rateLimitPerSecond"
    ), target AS (
      SELECT m.*, (CASE
          WHEN m."eventId" IS NULL THEN 'READY'
          WHEN m."webhookState" <> 'ACTIVE' OR m."circuitOpenedAt" IS NOT NULL THEN 'HELD'
          WHEN m."rateLimitPerSecond" IS NOT NULL THEN 'PACED'
          ELSE 'READY' END)::"QueueState" AS "to",
        row_number() OVER (PARTITION BY m."webhookId" ORDER BY m."createdAt", m."id") AS "rank",
        ${lastReadyKeyOf('m."webhookId"')} AS "lastKey"
      FROM moved m
    ), queued AS (
      INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource",
        "createdAt", "runAt", "state", "fairKey", "attemptCount", "roundStartAttempt")
      SELECT t."id", t."userId", t."webhookId", t."eventId", t."eventType", t."eventData", t."resource",
        t."createdAt", ${NOW}, t."to", GREATEST(f."key", t."lastKey" + 1) + t."rank" - 1,
        t."attemptCount", t."attemptCount"
      FROM target t CROSS JOIN (SELECT ${FRONT_KEY} AS "key") f
      RETURNING "id", "state"
    )
    SELECT q."id", (SELECT count(*) FROM (SELECT pg_notify($3, '')) n) AS "notified" FROM queued q`,
    [args.ids, args.fromStatuses, DISPATCH_CHANNEL],
  );
  return rows.map((row) => row.id);
}
