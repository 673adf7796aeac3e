import type { Sql } from '../../db/sql.ts';

/**
 * Deletes a user's webhook with everything it delivered or was to deliver (queued dispatches,
 * finished ones, their calls), in one statement. Whether there was such a webhook. A publish that
 * began before this committed may still queue dispatches for it: claims and promotions delete the
 * rows of webhooks that are gone, and sweepOrphans the rest.
 */
export async function removeWebhook(sql: Sql, args: { webhookId: string; userId: string }): Promise<boolean> {
  const rows = await sql.query<{ id: string }>(
    `WITH webhook AS (
      DELETE FROM "Webhook" WHERE "id" = $1 AND "userId" = $2 RETURNING "id"
    ), queued AS (
      DELETE FROM "DispatchQueue" q USING webhook w WHERE q."webhookId" = w."id"
    ), finished AS (
      DELETE FROM "Dispatch" d USING webhook w WHERE d."webhookId" = w."id"
    ), calls AS (
      DELETE FROM "DispatchCall" c USING webhook w WHERE c."webhookId" = w."id"
    )
    SELECT "id" FROM webhook`,
    [args.webhookId, args.userId],
  );
  return rows.length > 0;
}

/**
 * Deletes the queued dispatches of webhooks that no longer exist (a publish raced the webhook's
 * deletion). It visits each webhook with queued work once (a skip scan of the queue's webhook
 * index), so its cost follows the number of webhooks, not of queued rows.
 */
export async function sweepOrphans(sql: Sql): Promise<number> {
  const rows = await sql.query<{ count: number }>(
    `WITH RECURSIVE queued AS (
      (SELECT "webhookId" FROM "DispatchQueue" ORDER BY "webhookId" LIMIT 1)
      UNION ALL
      SELECT (SELECT q."webhookId" FROM "DispatchQueue" q WHERE q."webhookId" > queued."webhookId"
              ORDER BY q."webhookId" LIMIT 1)
      FROM queued WHERE queued."webhookId" IS NOT NULL
    ), gone AS (
      DELETE FROM "DispatchQueue" q
      USING (SELECT "webhookId" FROM queued WHERE "webhookId" IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = queued."webhookId")) g
      WHERE q."webhookId" = g."webhookId"
      RETURNING 1
    )
    SELECT count(*)::int AS "count" FROM gone`,
    [],
  );
  return rows[0]?.count ?? 0;
}
