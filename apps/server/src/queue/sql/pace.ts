import type { Sql } from '../../db/sql.ts';
import { NOW } from '../fair-key.ts';

/** Start slots handed out per webhook per pass: this many seconds' worth at its rate. */
const SLOT_HORIZON_SECONDS = 2;
const MAX_SLOTS_PER_PASS = 1000;

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
 * Hands start slots to a rate-limited webhook's PACED rows, in fairKey order: each slot 1/rate
 * after the one before, the first 1/rate after the webhook's last slot or call start (or now), and
 * the rows wait SCHEDULED until their slot. Slots are given out under a transaction-level advisory
 * lock on the webhook, taken in a statement of its own, so the statement that reads the last slot
 * sees every slot another worker gave before it: no two calls of the webhook ever get slots closer
 * than 1/rate, whichever worker paces them and whichever worker sends them. Another worker pacing
 * the webhook at this moment makes this one skip it. Nothing shared is written: the last slot is
 * read from the rows themselves (the queue's pacedSlot, the calls' startedAt). Returns the slots given.
 */
export async function paceWebhook(
  sql: Sql,
  args: { webhookId: string; rateLimitPerSecond: number },
): Promise<number> {
  const slots = Math.min(MAX_SLOTS_PER_PASS, Math.max(1, args.rateLimitPerSecond * SLOT_HORIZON_SECONDS));
  return sql.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtextextended('ricochet-pace:' || $1, 0)) AS "locked"`,
      [args.webhookId],
      'ricochet_pace_lock',
    );
    if (!lock?.locked) return 0;
    const rows = await tx.query<{ id: string }>(
      `WITH step AS (SELECT ceil(1000.0 / $2) * interval '1 millisecond' AS "gap"),
      last AS (
        SELECT GREATEST(
          (SELECT max(q."pacedSlot") FROM "DispatchQueue" q WHERE q."webhookId" = $1 AND q."pacedSlot" IS NOT NULL),
          (SELECT max(c."startedAt") FROM "DispatchCall" c WHERE c."webhookId" = $1)) AS "at"
      ), first AS (
        SELECT GREATEST(${NOW}, last."at" + step."gap") AS "at", step."gap" FROM last, step
      ), locked AS (
        SELECT q."id", q."fairKey" FROM "DispatchQueue" q
        WHERE q."webhookId" = $1 AND q."state" = 'PACED'
        ORDER BY q."fairKey" LIMIT $3
        FOR UPDATE SKIP LOCKED
      ), slot AS (
        SELECT l."id", first."at" + (row_number() OVER (ORDER BY l."fairKey") - 1) * first."gap" AS "at"
        FROM locked l, first
      )
      UPDATE "DispatchQueue" q SET "state" = 'SCHEDULED', "pacedSlot" = s."at", "runAt" = s."at"
      FROM slot s WHERE q."id" = s."id"
      RETURNING q."id"`,
      [args.webhookId, args.rateLimitPerSecond, slots],
      'ricochet_pace',
    );
    return rows.length;
  });
}
