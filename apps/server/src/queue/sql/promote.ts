import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import { DISPATCH_CHANNEL, INTERRUPTED } from '../constants.ts';
import { FRONT_KEY, lastReadyKeyOf } from '../fair-key.ts';

export type PromoteResult = {
  /** Rows made READY (the workers were woken for them). */
  ready: number;
  /** Whether more rows were due than one statement takes: promote again at once. */
  more: boolean;
};

/**
 * Makes due work claimable again, in one statement: SCHEDULED rows whose runAt has come (retries,
 * rate-limit slots) and LEASED rows whose lease lapsed (their worker died; the attempt it left is
 * written as an interrupted call). Each goes to the state its webhook allows now: HELD (not ACTIVE,
 * or circuit open and not the probe), PACED (rate limit, no slot yet) or READY with its start tag
 * (see fair-key.ts); rows of deleted webhooks are deleted. `dueBase` replaces the database's clock
 * for what is due (tests); leases always follow the database's clock.
 */
export async function promote(
  sql: Sql,
  args: { dueBase: Date | null; limit: number },
): Promise<PromoteResult> {
  const [row] = await sql.query<{ ready: number; moved: number }>(
    `WITH due AS (
      SELECT q."id" FROM "DispatchQueue" q
      WHERE q."state" = 'SCHEDULED' AND q."runAt" <= COALESCE($1::timestamp(3), ${NOW})
      ORDER BY q."runAt" LIMIT $2
      FOR UPDATE SKIP LOCKED
    ), expired AS (
      SELECT q."id", q."attemptCount", q."webhookId", q."leasedAt" FROM "DispatchQueue" q
      WHERE q."state" = 'LEASED' AND q."leaseExpiresAt" <= ${NOW}
      LIMIT $2
      FOR UPDATE SKIP LOCKED
    ), interrupted AS (
      INSERT INTO "DispatchCall" ("dispatchId", "attempt", "webhookId", "startedAt", "finishedAt", "errorMessage")
      SELECT e."id", e."attemptCount", e."webhookId", COALESCE(e."leasedAt", ${NOW}), ${NOW}, $3 FROM expired e
      -- Unless its worker's answer was recorded already (calls are keyed with their startedAt, the
      -- partition key, so the attempt alone is checked here; an answer starts after its lease).
      WHERE NOT EXISTS (
        SELECT 1 FROM "DispatchCall" c WHERE c."dispatchId" = e."id" AND c."attempt" = e."attemptCount"
          AND c."startedAt" >= COALESCE(e."leasedAt", ${NOW}) - interval '1 day')
      ON CONFLICT DO NOTHING
    ), moving AS (
      SELECT q."id", q."webhookId", q."runAt", w."id" IS NULL AS "orphan", (CASE
          WHEN q."eventId" IS NULL THEN 'READY'
          WHEN w."state" <> 'ACTIVE' OR (w."circuitOpenedAt" IS NOT NULL AND NOT q."isProbe") THEN 'HELD'
          WHEN w."rateLimitPerSecond" IS NOT NULL AND q."pacedSlot" IS NULL THEN 'PACED'
          ELSE 'READY' END)::"QueueState" AS "to"
      FROM (SELECT "id" FROM due UNION ALL SELECT "id" FROM expired) m
      JOIN "DispatchQueue" q ON q."id" = m."id"
      LEFT JOIN "Webhook" w ON w."id" = q."webhookId"
    ), flow AS (
      SELECT m."webhookId", ${lastReadyKeyOf('m."webhookId"')} AS "lastKey"
      FROM (SELECT DISTINCT "webhookId" FROM moving WHERE "to" = 'READY' AND NOT "orphan") m
    ), moved AS (
      UPDATE "DispatchQueue" q SET "state" = t."to", "leasedBy" = NULL, "leasedAt" = NULL,
        "leaseExpiresAt" = NULL, "hostKey" = NULL,
        "fairKey" = CASE WHEN t."to" = 'READY' THEN GREATEST(front."key", f."lastKey" + 1) + t."rank" - 1 ELSE q."fairKey" END
      FROM (
        SELECT m.*, row_number() OVER (PARTITION BY m."webhookId", m."to" ORDER BY m."runAt", m."id") AS "rank"
        FROM moving m WHERE NOT m."orphan"
      ) t
      LEFT JOIN flow f ON f."webhookId" = t."webhookId"
      CROSS JOIN (SELECT ${FRONT_KEY} AS "key") front
      WHERE q."id" = t."id"
      RETURNING q."state"
    ), orphans AS (
      DELETE FROM "DispatchQueue" q USING moving m WHERE q."id" = m."id" AND m."orphan"
    ), notified AS (
      SELECT pg_notify($4, '') FROM (SELECT 1 FROM moved WHERE "state" <> 'HELD' LIMIT 1) n
    )
    SELECT (SELECT count(*)::int FROM moved WHERE "state" = 'READY') AS "ready",
      (SELECT count(*)::int FROM moving) AS "moved", (SELECT count(*) FROM notified) AS "notified"`,
    [args.dueBase?.toISOString() ?? null, args.limit, INTERRUPTED, DISPATCH_CHANNEL],
    'ricochet_promote',
  );
  return { ready: row?.ready ?? 0, more: (row?.moved ?? 0) >= args.limit };
}
