import type { Sql } from '../../db/sql.ts';
import { DISPATCH_CHANNEL } from '../constants.ts';
import { FRONT_KEY, lastReadyKeyOf } from '../fair-key.ts';

/**
 * SQL for a CTE body that releases the dispatches of the webhooks in CTE `webhooks` (columns "id",
 * "state", "rateLimitPerSecond") that are in state `from` (HELD, or PACED once a rate limit is
 * lifted), where the webhook is ACTIVE: READY behind the webhook's backlog (PACED with a rate
 * limit), in the order they were queued.
 */
export function releaseHeldStatement(webhooks: string, from: 'HELD' | 'PACED' = 'HELD'): string {
  return `UPDATE "DispatchQueue" q SET
      "state" = (CASE WHEN t."rateLimitPerSecond" IS NOT NULL THEN 'PACED' ELSE 'READY' END)::"QueueState",
      "isProbe" = false,
      "fairKey" = GREATEST(f."key", t."lastKey" + 1) + t."rank" - 1
    FROM (
      SELECT h."id", w."rateLimitPerSecond", row_number() OVER (PARTITION BY h."webhookId" ORDER BY h."fairKey") AS "rank",
        ${lastReadyKeyOf('h."webhookId"')} AS "lastKey"
      FROM "DispatchQueue" h JOIN ${webhooks} w ON w."id" = h."webhookId"
      WHERE h."state" = '${from}' AND w."state" = 'ACTIVE'
    ) t CROSS JOIN (SELECT ${FRONT_KEY} AS "key") f
    WHERE q."id" = t."id"
    RETURNING q."state"`;
}

/**
 * Releases a webhook's HELD dispatches when it may deliver again (ACTIVE, circuit closed): after a
 * person switches it back on. Returns how many go.
 */
export async function releaseHeld(sql: Sql, args: { webhookId: string }): Promise<number> {
  const [row] = await sql.query<{ released: number }>(
    `WITH webhook AS (
      SELECT "id", "state", "rateLimitPerSecond" FROM "Webhook" WHERE "id" = $1 AND "circuitOpenedAt" IS NULL
    ), released AS (${releaseHeldStatement('webhook')}),
    notified AS (SELECT pg_notify($2, '') FROM (SELECT 1 FROM released LIMIT 1) n)
    SELECT (SELECT count(*)::int FROM released) AS "released", (SELECT count(*) FROM notified) AS "notified"`,
    [args.webhookId, DISPATCH_CHANNEL],
  );
  return row?.released ?? 0;
}

/** A webhook's rate limit was lifted: its dispatches waiting for a slot go READY. */
export async function releasePaced(sql: Sql, args: { webhookId: string }): Promise<number> {
  const [row] = await sql.query<{ released: number }>(
    `WITH webhook AS (
      SELECT "id", "state", "rateLimitPerSecond" FROM "Webhook" WHERE "id" = $1 AND "rateLimitPerSecond" IS NULL
    ), released AS (${releaseHeldStatement('webhook', 'PACED')}),
    notified AS (SELECT pg_notify($2, '') FROM (SELECT 1 FROM released LIMIT 1) n)
    SELECT (SELECT count(*)::int FROM released) AS "released", (SELECT count(*) FROM notified) AS "notified"`,
    [args.webhookId, DISPATCH_CHANNEL],
  );
  return row?.released ?? 0;
}
