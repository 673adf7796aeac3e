import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';

/**
 * Start slots a webhook may have outstanding (given, not yet claimed): one for rates up to 20 a
 * second, else 50 ms worth. Slots follow the calls actually claimed, so a worker that falls behind
 * delays the next call instead of releasing a burst: with one outstanding slot, no two calls of a
 * webhook are ever claimed closer than 1/rate; with more, at most this many can bunch.
 */
function outstandingSlots(rateLimitPerSecond: number): number {
  return Math.max(1, Math.floor(rateLimitPerSecond / 20));
}
/** Rate-limited webhooks with calls waiting for a start slot. */
export function pacedWebhooks(sql: Sql): Promise<Array<{ id: string; rateLimitPerSecond: number }>> {
  return sql.query(
    `SELECT w."id", w."rateLimitPerSecond" FROM "Webhook" w
    WHERE w."rateLimitPerSecond" IS NOT NULL
      AND EXISTS (SELECT 1 FROM "DispatchQueue" q WHERE q."webhookId" = w."id" AND q."state" = 'PACED')`,
    [],
    'ricochet_paced_webhooks',
  );
}

/**
 * Hands start slots to a rate-limited webhook's PACED rows, in fairKey order, up to its outstanding
 * slots (see outstandingSlots): the first 1/rate after the webhook's last claimed call or given slot
 * (or now), each next one 1/rate later; the rows wait SCHEDULED until their slot. Slots are given
 * under a transaction-level advisory lock on the webhook, taken in a statement of its own, so the
 * statement that reads the last slot sees every slot and claim before it: whichever worker paces the
 * webhook and whichever claims its calls, consecutive calls are never claimed closer than 1/rate
 * (beyond the bunching outstandingSlots allows). Another worker pacing the webhook at this moment
 * makes this one skip it. Nothing shared is written: the last slot is read from the rows themselves
 * (the queue's pacedSlot and leasedAt, the calls' startedAt). Returns the earliest slot given, if any.
 */
export async function paceWebhook(
  sql: Sql,
  args: { webhookId: string; rateLimitPerSecond: number },
): Promise<Date | null> {
  return sql.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtextextended('ricochet-pace:' || $1, 0)) AS "locked"`,
      [args.webhookId],
      'ricochet_pace_lock',
    );
    if (!lock?.locked) return null;
    const [row] = await tx.query<{ first: Date | null }>(
      `WITH step AS (SELECT ceil(1000.0 / $2) * interval '1 millisecond' AS "gap"),
      slotted AS (
        SELECT max(GREATEST(q."pacedSlot", q."leasedAt")) AS "last",
          count(*) FILTER (WHERE q."state" <> 'LEASED') AS "outstanding"
        FROM "DispatchQueue" q WHERE q."webhookId" = $1 AND q."pacedSlot" IS NOT NULL
      ), last AS (
        SELECT GREATEST(slotted."last", (SELECT max(c."startedAt") FROM "DispatchCall" c WHERE c."webhookId" = $1)) AS "at",
          slotted."outstanding"
        FROM slotted
      ), first AS (
        SELECT GREATEST(${NOW}, last."at" + step."gap") AS "at", step."gap", GREATEST(0, $3 - last."outstanding") AS "room"
        FROM last, step
      ), locked AS (
        SELECT q."id", q."fairKey" FROM "DispatchQueue" q
        WHERE q."webhookId" = $1 AND q."state" = 'PACED'
        ORDER BY q."fairKey" LIMIT (SELECT "room" FROM first)
        FOR UPDATE SKIP LOCKED
      ), slot AS (
        SELECT l."id", first."at" + (row_number() OVER (ORDER BY l."fairKey") - 1) * first."gap" AS "at"
        FROM locked l, first
      ), given AS (
        UPDATE "DispatchQueue" q SET "state" = 'SCHEDULED', "pacedSlot" = s."at", "runAt" = s."at"
        FROM slot s WHERE q."id" = s."id"
        RETURNING q."runAt"
      )
      SELECT min("runAt") AS "first" FROM given`,
      [args.webhookId, args.rateLimitPerSecond, outstandingSlots(args.rateLimitPerSecond)],
      'ricochet_pace',
    );
    return row?.first ?? null;
  });
}
