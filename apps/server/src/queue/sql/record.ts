import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import type { StoredResponseHeaders } from '../../outbound/stored-response.ts';
import { DISPATCH_CHANNEL, INTERRUPTED } from '../constants.ts';
import { wakeHostWaits } from './release-host-waits.ts';

export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed';

/** One finished attempt, as the worker hands it over to be written. */
export type AttemptResult = {
  id: string;
  webhookId: string;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  /** The request, in its full or compact form (see outbound/stored-request.ts). */
  requestUrl: string;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  requestTimestamp: number | null;
  /** Base64 of the signatures' bytes. */
  requestSignatures: string | null;
  requestParts: Record<string, unknown> | null;
  responseStatus: number | null;
  /** Full or compact (see outbound/stored-response.ts). */
  responseHeaders: StoredResponseHeaders;
  responseBody: string | null;
  errorMessage: string | null;
  outcome: AttemptOutcome;
  /** For `retrying`: how long until the next attempt. */
  retryDelayMs: number | null;
};

/**
 * SQL, over a finished queue row `f` (its event's createdAt, its own endedAt): it goes into a later
 * week partition of Dispatch than its event's of Event, and has no copy of the event's data yet (a
 * copy is made when the event's week is dropped first; a test dispatch has its own and no event).
 */
const CROSSES_WEEKS = `(f."eventData" IS NULL AND f."eventId" IS NOT NULL
  AND date_trunc('week', f."endedAt") > date_trunc('week', f."createdAt"))`;

/** A day before the earliest start of these results (clocks of workers and database may differ). */
function earliestStart(results: AttemptResult[]): string {
  const earliest = Math.min(...results.map((r) => Date.parse(r.startedAt)));
  return new Date((Number.isFinite(earliest) ? earliest : Date.now()) - 86_400_000).toISOString();
}

/** AttemptResult's fields, in the order of the statements' parameters ($1...), with their SQL types. */
const COLUMN_TYPES = {
  id: 'text',
  webhookId: 'text',
  attempt: 'int',
  startedAt: 'timestamp(3)',
  finishedAt: 'timestamp(3)',
  requestUrl: 'text',
  requestHeaders: 'json',
  requestBody: 'text',
  responseStatus: 'int',
  responseHeaders: 'json',
  responseBody: 'text',
  errorMessage: 'text',
  outcome: 'text',
  retryDelayMs: 'bigint',
  requestTimestamp: 'int',
  requestSignatures: 'text',
  requestParts: 'json',
} as const satisfies Partial<Record<keyof AttemptResult, string>>;
const COLUMNS = Object.keys(COLUMN_TYPES) as Array<keyof typeof COLUMN_TYPES>;

/** SQL: the results, given as one array per column ($1...), as rows aliased r. */
const RESULTS = `SELECT * FROM unnest(${COLUMNS.map((column, index) => `$${index + 1}::${COLUMN_TYPES[column]}[]`).join(', ')})
      AS r(${COLUMNS.map((column) => `"${column}"`).join(', ')})`;

/** The results as one array per column, for unnest(): cheaper for the database to read than JSON. */
function columns(results: AttemptResult[]): unknown[][] {
  return COLUMNS.map((column) =>
    results.map((result) => {
      const value = result[column];
      return COLUMN_TYPES[column] === 'json' && value !== null ? JSON.stringify(value) : value;
    }),
  );
}

/**
 * One statement for a batch of results. Where `workerId` still holds the claim for that attempt
 * (LEASED by it, attemptCount unchanged), the dispatch moves on: a finished one leaves the queue for
 * the history table (SUCCEEDED or FAILED), a retrying one is SCHEDULED for its next attempt. Every
 * result is written as its call; a result whose claim was lost (its lease lapsed and another worker
 * took the dispatch over) keeps its answer on the call, with no outcome, and moves nothing. The
 * slots the finished calls free on their hosts are handed to the host's HOST_WAIT rows, which go
 * READY at the front of the queue (they waited), and the workers are woken for them. Returns the ids
 * of the dispatches that moved.
 */
export async function record(
  sql: Sql,
  args: { results: AttemptResult[]; workerId: string; perHost: number; dueBase: Date | null },
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `WITH r AS (
      ${RESULTS}
    ), held AS MATERIALIZED (
      -- The results whose claim this worker still holds, each probed by its primary key. The
      -- planner's statistics of a queue that moves far faster than ANALYZE looks are always wrong
      -- (a few LEASED rows where there are hundreds, no rows of this worker): left to choose, it read
      -- every lease, or the whole queue, once per result (35 of a 50 ms record with 700 leases). The
      -- LATERAL subquery with OFFSET 0 is a fence it cannot flatten, so each result is one probe;
      -- the state is compared as text so that no partial index matches it instead.
      SELECT q."id", q."hostKey", r."outcome"
      FROM r CROSS JOIN LATERAL (
        SELECT q."id", q."hostKey" FROM "DispatchQueue" q
        WHERE q."id" = r."id" AND q."state"::text = 'LEASED' AND q."leasedBy" = $19 AND q."attemptCount" = r."attempt"
        OFFSET 0
      ) q
    ), finished AS (
      -- By primary key again (= ANY of the held ids: a join with held would be planned on the same
      -- wrong statistics), with the conditions again, as the row may have changed since held read
      -- it (a lapsed lease recovered). Its result is found by position in the arrays ($22: each
      -- result's "id/attempt"), which also checks the attempt: no join whose plan could go wrong.
      DELETE FROM "DispatchQueue" q
      WHERE q."id" = ANY(ARRAY(SELECT h."id" FROM held h WHERE h."outcome" <> 'retrying'))
        AND q."state"::text = 'LEASED' AND q."leasedBy" = $19
        AND array_position($22::text[], q."id" || '/' || q."attemptCount") IS NOT NULL
      RETURNING q.*, ($13::text[])[array_position($22::text[], q."id" || '/' || q."attemptCount")] AS "result",
        ($5::timestamp(3)[])[array_position($22::text[], q."id" || '/' || q."attemptCount")] AS "endedAt"
    ), history AS (
      INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource",
        "status", "attemptCount", "createdAt", "finishedAt")
      SELECT f."id", f."userId", f."webhookId", f."eventId", f."eventType",
        -- A dispatch that finishes in a later week than its event's outlives the event's partition
        -- (weeks drop oldest first), and its calls' default payloads are rendered again from this
        -- data (outbound/stored-request.ts): such a row keeps its own copy. The CASE reads the event
        -- only for those (a retry across a Monday, a publish just before one), not for every row.
        CASE WHEN ${CROSSES_WEEKS} THEN
          (SELECT e."eventData" FROM "Event" e WHERE e."id" = f."eventId" AND e."createdAt" = f."createdAt")
          ELSE f."eventData" END,
        CASE WHEN ${CROSSES_WEEKS} THEN
          (SELECT e."resource" FROM "Event" e WHERE e."id" = f."eventId" AND e."createdAt" = f."createdAt")
          ELSE f."resource" END,
        (CASE WHEN f."result" = 'succeeded' THEN 'SUCCEEDED' ELSE 'FAILED' END)::"DispatchStatus",
        f."attemptCount", f."createdAt", f."endedAt"
      FROM finished f
    ), rescheduled AS (
      -- As finished: by primary key, the delay found by position.
      UPDATE "DispatchQueue" q SET "state" = 'SCHEDULED',
        "runAt" = COALESCE($18::timestamp(3), ${NOW})
          + ($14::bigint[])[array_position($22::text[], q."id" || '/' || q."attemptCount")] * interval '1 millisecond',
        "leasedBy" = NULL, "leasedAt" = NULL, "leaseExpiresAt" = NULL, "hostKey" = NULL,
        "pacedSlot" = NULL, "isProbe" = false
      WHERE q."id" = ANY(ARRAY(SELECT h."id" FROM held h WHERE h."outcome" = 'retrying'))
        AND q."state"::text = 'LEASED' AND q."leasedBy" = $19
        AND array_position($22::text[], q."id" || '/' || q."attemptCount") IS NOT NULL
      RETURNING q."id"
    ), calls AS (
      -- Only the calls of the attempts this statement moved: no other call of theirs can exist (the
      -- lease recovery writes an interrupted call only with a move of its own, which the row lock
      -- orders before or after this one). The others are written by recordLost, below.
      INSERT INTO "DispatchCall" ("dispatchId", "attempt", "webhookId", "startedAt", "finishedAt", "outcome",
        "errorMessage", "responseStatus", "responseBody", "requestUrl", "requestHeaders", "requestBody", "responseHeaders",
        "requestTimestamp", "requestSignatures", "requestParts")
      SELECT r."id", r."attempt", r."webhookId", r."startedAt", r."finishedAt", r."outcome",
        r."errorMessage", r."responseStatus", r."responseBody", r."requestUrl", r."requestHeaders", r."requestBody",
        r."responseHeaders", r."requestTimestamp", decode(r."requestSignatures", 'base64'), r."requestParts"
      FROM r WHERE r."id" IN (SELECT "id" FROM finished UNION ALL SELECT "id" FROM rescheduled)
      ON CONFLICT DO NOTHING
    ), freed AS (
      -- Per host these calls were to: how many calls it will still have in flight once they are done.
      SELECT h."hostKey", count(*)::int AS "done",
        (SELECT count(*)::int FROM "DispatchQueue" l WHERE l."state" = 'LEASED' AND l."hostKey" = h."hostKey") AS "leased"
      FROM held h
      WHERE EXISTS (SELECT 1 FROM "DispatchQueue" w WHERE w."state" = 'HOST_WAIT' AND w."hostKey" = h."hostKey")
      GROUP BY h."hostKey"
    ), released AS (
      ${wakeHostWaits('freed f', '$20 - (f."leased" - f."done")')}
    ), notified AS (
      SELECT pg_notify($21, '') FROM (SELECT 1 FROM released LIMIT 1) n
    )
    SELECT "id" FROM finished UNION ALL SELECT "id" FROM rescheduled
    UNION ALL SELECT NULL FROM notified`,
    [
      ...columns(args.results),
      args.dueBase?.toISOString() ?? null,
      args.workerId,
      args.perHost,
      DISPATCH_CHANNEL,
      args.results.map((r) => `${r.id}/${r.attempt}`),
    ],
    'ricochet_record',
  );
  const moved = rows.flatMap((row) => (row.id === null ? [] : [row.id]));
  const kept = new Set(moved);
  const lost = args.results.filter((result) => !kept.has(result.id));
  if (lost.length > 0) await recordLost(sql, lost);
  return moved;
}

/**
 * The calls of attempts whose claim was lost (record moved nothing for them), in a statement of
 * their own, so that it sees what made them lost. DispatchCall is partitioned by startedAt, so no
 * unique index can hold (dispatchId, attempt) alone (a unique index of a partitioned table must
 * include the partition key): one call per attempt is kept by the writers instead. An attempt is
 * lost when the lease recovery (promote) took its dispatch and wrote the attempt as interrupted,
 * stamped with the lease's start: record's move waited on the row lock for that commit, but its
 * snapshot was older, so only a later statement sees the interrupted row and can replace it by the
 * real answer. The same answer written again (record retried after a commit whose acknowledgement
 * was lost) has the same startedAt and is kept as first written, outcome included.
 */
async function recordLost(sql: Sql, results: AttemptResult[]): Promise<void> {
  await sql.query(
    `WITH r AS (
      ${RESULTS}
    ), superseded AS (
      DELETE FROM "DispatchCall" c USING r
      WHERE c."dispatchId" = r."id" AND c."attempt" = r."attempt" AND c."startedAt" <> r."startedAt"
        AND c."errorMessage" = $19 AND c."startedAt" >= $18::timestamp(3)
    )
    INSERT INTO "DispatchCall" ("dispatchId", "attempt", "webhookId", "startedAt", "finishedAt", "outcome",
      "errorMessage", "responseStatus", "responseBody", "requestUrl", "requestHeaders", "requestBody", "responseHeaders",
      "requestTimestamp", "requestSignatures", "requestParts")
    -- No outcome: the dispatch belongs to whoever holds it now.
    SELECT r."id", r."attempt", r."webhookId", r."startedAt", r."finishedAt", NULL,
      r."errorMessage", r."responseStatus", r."responseBody", r."requestUrl", r."requestHeaders", r."requestBody",
      r."responseHeaders", r."requestTimestamp", decode(r."requestSignatures", 'base64'), r."requestParts"
    FROM r
    ON CONFLICT ("dispatchId", "attempt", "startedAt") DO NOTHING`,
    [
      ...columns(results),
      // The interrupted row of an attempt is stamped with its lease's start, which is at most a
      // lease before the answer's start: a bound that lets the DELETE skip older partitions.
      earliestStart(results),
      INTERRUPTED,
    ],
    'ricochet_record_lost',
  );
}
