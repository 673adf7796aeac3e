import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';

/** A claimed attempt, as the claim returns it: what a delivery needs but its webhook's definition. */
export type ClaimedDispatch = {
  id: string;
  /** The attempt this claim starts (1 for the first). */
  attempt: number;
  roundStartAttempt: number;
  userId: string;
  webhookId: string;
  /** The webhook's version (see Webhook.version): the worker's cached definition must match it. */
  webhookVersion: number;
  hostKey: string;
  eventId: string | null;
  eventType: string;
  eventData: Record<string, unknown> | null;
  resource: Record<string, unknown> | null;
  createdAt: Date;
  /** The one call let through while the webhook's circuit is open. */
  isProbe: boolean;
  /** Whether the webhook's circuit was open when claimed (a probe's result decides it). */
  circuitOpen: boolean;
  /** Its webhook's rate limit, when it has one: claiming a call frees the webhook's next slot. */
  rateLimitPerSecond: number | null;
  /** Its event's publish span (W3C traceparent), which the delivery's spans continue; null: none. */
  traceparent: string | null;
};

/**
 * One statement that claims only what can be sent now, fairly. It looks at the first `window` READY
 * rows in fairKey order (FOR UPDATE SKIP LOCKED, so workers never wait for each other and each sees
 * rows no other worker is looking at), then for each:
 * - its webhook is gone: the row is deleted (a publish raced the webhook's deletion);
 * - its webhook is not ACTIVE, or its circuit is open and it is not the probe: HELD;
 * - its webhook has a rate limit and it has no start slot yet: PACED;
 * - its host already has `perHost` calls in flight (LEASED rows, every worker's), counting those
 *   this claim takes: HOST_WAIT, out of the way, until the host's calls finish;
 * - otherwise it may go, and the first `limit` of those by fairKey are LEASED to `workerId` until
 *   now + `leaseMs` (the database's clock), counting the attempt.
 * Test dispatches (no event) go whatever the state, circuit or rate limit.
 */
export function claim(
  sql: Sql,
  args: { limit: number; window: number; perHost: number; leaseMs: number; workerId: string },
): Promise<ClaimedDispatch[]> {
  return sql.query<ClaimedDispatch>(
    `WITH "window" AS (
      SELECT q."id", q."fairKey", q."webhookId", q."eventId", q."isProbe", q."pacedSlot"
      FROM "DispatchQueue" q
      WHERE q."state" = 'READY'
      ORDER BY q."fairKey"
      LIMIT $2
      FOR UPDATE SKIP LOCKED
    ), candidate AS (
      SELECT c.*, w."hostKey", w."version", w."circuitOpenedAt" IS NOT NULL AS "circuitOpen", w."id" IS NULL AS "orphan",
        w."rateLimitPerSecond",
        CASE
          WHEN w."id" IS NULL THEN 'GONE'
          WHEN c."eventId" IS NULL THEN 'GO'
          WHEN w."state" <> 'ACTIVE' OR (w."circuitOpenedAt" IS NOT NULL AND NOT c."isProbe") THEN 'HELD'
          WHEN w."rateLimitPerSecond" IS NOT NULL AND c."pacedSlot" IS NULL THEN 'PACED'
          ELSE 'GO' END AS "verdict"
      FROM "window" c LEFT JOIN "Webhook" w ON w."id" = c."webhookId"
    ), busy AS MATERIALIZED (
      -- Materialized: inlined, the planner (which sees one candidate row in a CTE) counts a host's
      -- calls in flight once per candidate, a scan of every LEASED row each time (measured: 17 of
      -- a 20 ms claim with 250 calls in flight).
      SELECT l."hostKey", count(*)::int AS "inFlight" FROM "DispatchQueue" l
      WHERE l."state" = 'LEASED' AND l."hostKey" IN (SELECT c."hostKey" FROM candidate c WHERE c."verdict" = 'GO')
      GROUP BY l."hostKey"
    ), ranked AS (
      SELECT c.*, row_number() OVER (PARTITION BY c."hostKey" ORDER BY c."fairKey") <= $3 - COALESCE(b."inFlight", 0) AS "hostHasRoom"
      FROM candidate c LEFT JOIN busy b ON b."hostKey" = c."hostKey"
      WHERE c."verdict" = 'GO'
    ), taken AS (
      SELECT r."id", r."hostKey", r."version", r."circuitOpen", r."rateLimitPerSecond" FROM ranked r
      WHERE r."hostHasRoom" ORDER BY r."fairKey" LIMIT $1
    ), claimed AS (
      UPDATE "DispatchQueue" q SET "state" = 'LEASED', "leasedBy" = $5, "leasedAt" = ${NOW},
        "leaseExpiresAt" = ${NOW} + $4 * interval '1 millisecond', "attemptCount" = q."attemptCount" + 1,
        "hostKey" = t."hostKey"
      FROM taken t WHERE q."id" = t."id"
      -- What the caller needs of the claim itself comes along here: joining claimed to taken again
      -- would compare every pair of rows (both are CTE scans).
      RETURNING q."id", q."attemptCount", q."roundStartAttempt", q."userId", q."webhookId", q."eventId",
        q."eventType", q."eventData", q."resource", q."createdAt", q."isProbe", q."hostKey",
        t."version", t."circuitOpen", t."rateLimitPerSecond"
    ), waiting AS (
      UPDATE "DispatchQueue" q SET "state" = 'HOST_WAIT', "hostKey" = r."hostKey"
      FROM ranked r WHERE q."id" = r."id" AND NOT r."hostHasRoom"
    ), parked AS (
      UPDATE "DispatchQueue" q SET "state" = c."verdict"::"QueueState"
      FROM candidate c WHERE q."id" = c."id" AND c."verdict" IN ('HELD', 'PACED')
    ), orphans AS (
      DELETE FROM "DispatchQueue" q USING candidate c WHERE q."id" = c."id" AND c."verdict" = 'GONE'
    )
    SELECT c."id", c."attemptCount" AS "attempt", c."roundStartAttempt", c."userId", c."webhookId",
      c."version" AS "webhookVersion", c."hostKey", c."eventId", c."eventType",
      COALESCE(c."eventData", e."eventData") AS "eventData", COALESCE(c."resource", e."resource") AS "resource",
      COALESCE(e."createdAt", c."createdAt") AS "createdAt", c."isProbe", c."circuitOpen", c."rateLimitPerSecond",
      e."traceparent"
    FROM claimed c
    -- A dispatch's createdAt is its event's: the partition key, so the lookup probes one partition.
    LEFT JOIN "Event" e ON e."id" = c."eventId" AND e."createdAt" = c."createdAt"`,
    [args.limit, args.window, args.perHost, args.leaseMs, args.workerId],
    'ricochet_claim',
  );
}
