import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import type { Event as EventRow } from '../../generated/prisma/client.ts';
import { DISPATCH_CHANNEL } from '../constants.ts';
import { FRONT_KEY, lastReadyKeyOf } from '../fair-key.ts';

/**
 * A webhook matches an event (`e`): the event's user's, ACTIVE, subscribed to its type, and each
 * condition field that is set equals the same field of eventData when that field is a string.
 */
const WEBHOOK_MATCHES_EVENT = `w."userId" = e."userId" AND w."state" = 'ACTIVE' AND e."eventType" = ANY(w."eventTypes")
  AND (w."conditionActorId" IS NULL OR w."conditionActorId" = e."eventData"->>'actorId' AND jsonb_typeof(e."eventData"->'actorId') = 'string')
  AND (w."conditionActorTaskId" IS NULL OR w."conditionActorTaskId" = e."eventData"->>'actorTaskId' AND jsonb_typeof(e."eventData"->'actorTaskId') = 'string')
  AND (w."conditionActorRunId" IS NULL OR w."conditionActorRunId" = e."eventData"->>'actorRunId' AND jsonb_typeof(e."eventData"->'actorRunId') = 'string')`;

/**
 * enqueueEvents' candidates from a JSON array ($1) of events, each with its "position", the
 * "request" it came in and that request's "limit" (the dispatches it may create).
 */
export const EVENTS_FROM_JSON = `SELECT i."id", i."userId", i."eventType", i."eventData", i."resource", i."idempotencyKey", i."position", i."request", i."limit", i."traceparent"
  FROM jsonb_to_recordset($1::jsonb) AS i("id" text, "userId" text, "eventType" text, "eventData" jsonb,
    "resource" jsonb, "idempotencyKey" text, "position" int, "request" int, "limit" int, "traceparent" text)`;

export type StoredEvent = EventRow & { position: number };
export type EnqueueResult = {
  events: StoredEvent[];
  /** Requests refused whole, before anything was stored: they would make more dispatches than allowed. */
  refused: Array<{ request: number; dispatches: number }>;
};

/**
 * Stores events and their dispatches in ONE statement (one round trip, no interactive
 * transaction), so they are stored all together or not at all, and NOTIFYs the workers when there
 * is something to deliver; once it returns, the events cannot be lost. `candidates` is a SELECT of
 * ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "position", "request",
 * "limit", "traceparent"); the webhooks matching each are found once and give both its dispatchCount and its
 * dispatches. Events whose (userId, idempotencyKey) is taken insert nothing. A request whose events
 * would make more dispatches than its "limit" stores nothing and is named in `refused`.
 *
 * Each dispatch enters the queue READY with its start tag (see fair-key.ts), PACED when its webhook
 * has a rate limit, HELD when the webhook's circuit is open. It updates no shared row and, with no
 * foreign keys on events and dispatches, locks none either, so concurrent publishes never queue on
 * a lock. `name` prepares the statement (fixed candidates only, see Sql).
 */
export async function enqueueEvents(
  sql: Sql,
  args: { candidates: string; params: unknown[]; name?: string },
): Promise<EnqueueResult> {
  const channel = `$${args.params.length + 1}`;
  const rows = await sql.query<StoredEvent & { refusedRequest: number | null; wanted: number | null }>(
    `WITH candidate AS (${args.candidates}),
    matching AS (
      SELECT e."id" AS "eventId", e."position", w."id" AS "webhookId", w."userId",
        w."rateLimitPerSecond", w."circuitOpenedAt"
      FROM candidate e JOIN "Webhook" w ON ${WEBHOOK_MATCHES_EVENT}
    ),
    request AS (
      SELECT c."request", count(m."webhookId")::int AS "wanted", min(c."limit") AS "limit"
      FROM candidate c LEFT JOIN matching m ON m."eventId" = c."id"
      GROUP BY c."request"
    ),
    event AS (
      INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "dispatchCount", "createdAt", "traceparent")
      SELECT e."id", e."userId", e."eventType", e."eventData", e."resource", e."idempotencyKey",
        COALESCE(n."count", 0), ${NOW}, e."traceparent"
      FROM candidate e
      JOIN request r ON r."request" = e."request" AND r."wanted" <= r."limit"
      LEFT JOIN (SELECT "eventId", count(*) AS "count" FROM matching GROUP BY 1) n ON n."eventId" = e."id"
      -- An idempotency key is unique per week partition (its unique index is what ON CONFLICT
      -- arbitrates on, concurrent publishes included); the earlier weeks are checked here, one
      -- index probe each.
      WHERE e."idempotencyKey" IS NULL OR NOT EXISTS (
        SELECT 1 FROM "Event" x WHERE x."userId" = e."userId" AND x."idempotencyKey" = e."idempotencyKey")
      ORDER BY e."position"
      ON CONFLICT DO NOTHING
      RETURNING *
    ),
    front AS (SELECT ${FRONT_KEY} AS "key"),
    -- Each dispatch with what its webhook's flow needs, in window passes over one join and no
    -- join between derived sets: a misestimated join of the webhooks reached with their dispatches
    -- made the planner loop over one for each row of the other (1.5 s for one event to 1,000
    -- webhooks before ANALYZE had seen them). "offset": the webhook's place among the user's
    -- webhooks this statement reaches; "stride": how many those are; "rank": the dispatch's place
    -- among its webhook's; the webhook's last READY key is read once, on its first row.
    reached AS (
      SELECT m."webhookId", m."userId", m."rateLimitPerSecond", m."circuitOpenedAt", m."position",
        e."id" AS "eventId", e."eventType", e."createdAt",
        dense_rank() OVER (PARTITION BY m."userId" ORDER BY m."webhookId") - 1 AS "offset",
        row_number() OVER (PARTITION BY m."webhookId" ORDER BY m."position") AS "rank"
      FROM matching m JOIN event e ON e."id" = m."eventId"
    ),
    keyed AS (
      SELECT r.*, CASE WHEN r."rank" = 1 THEN ${lastReadyKeyOf('r."webhookId"')} END AS "firstLastKey"
      FROM reached r
    ),
    dispatches AS (
      INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "createdAt", "runAt", "state", "fairKey")
      SELECT ricochet_record_id(), d."userId", d."webhookId", d."eventId", d."eventType", d."createdAt", d."createdAt",
        (CASE WHEN d."circuitOpenedAt" IS NOT NULL THEN 'HELD' WHEN d."rateLimitPerSecond" IS NOT NULL THEN 'PACED' ELSE 'READY' END)::"QueueState",
        GREATEST(front."key", d."lastKey" + 1) + d."offset" + (d."rank" - 1) * d."stride"
      FROM (
        SELECT k.*, max(k."firstLastKey") OVER (PARTITION BY k."webhookId") AS "lastKey",
          max(k."offset") OVER (PARTITION BY k."userId") + 1 AS "stride"
        FROM keyed k
      ) d
      CROSS JOIN front
      RETURNING "state"
    ),
    notified AS (
      SELECT pg_notify(${channel}, '') FROM (SELECT 1 FROM dispatches WHERE "state" <> 'HELD' LIMIT 1) d
    )
    SELECT e.*, c."position"::int AS "position", NULL::int AS "refusedRequest", NULL::int AS "wanted",
      (SELECT count(*) FROM notified) AS "notified"
    FROM event e JOIN candidate c ON c."id" = e."id"
    UNION ALL
    -- One NULL per column of "Event" (e.*), then the position, the refusal and "notified".
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r."request", r."wanted", NULL
    FROM request r WHERE r."wanted" > r."limit"
    ORDER BY "position"`,
    [...args.params, DISPATCH_CHANNEL],
    args.name,
  );
  const events: StoredEvent[] = [];
  const refused: EnqueueResult['refused'] = [];
  for (const row of rows) {
    if (row.refusedRequest !== null) {
      refused.push({ request: row.refusedRequest, dispatches: row.wanted ?? 0 });
      continue;
    }
    const {
      refusedRequest: _request,
      wanted: _wanted,
      notified: _notified,
      ...event
    } = row as typeof row & {
      notified: unknown;
    };
    events.push(event);
  }
  return { events, refused };
}
