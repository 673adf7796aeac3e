// The alert e-mail outbox's statements (schema.prisma, AlertEmail): what the mailer claims, and how
// it records each mail's fate. Mails are queued by the operational events (queue/sql/queue-alert-emails.ts).
import { NOW, type Sql } from '../db/sql.ts';

export type ClaimedAlertEmail = {
  id: string;
  userId: string;
  webhookId: string;
  toAddress: string;
  eventType: string;
  eventData: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
};

/** Any constant both mailers agree on: claims take it in turn, so the per-address count is exact. */
const CLAIM_LOCK = "hashtext('ricochet.alert-email.claim')";

/**
 * Leases up to `limit` due mails for `leaseMs`. Those over `maxPerHour` for their address (counting
 * the mails sent to it in the last hour and those being sent) are set SUPPRESSED instead, and never
 * sent: a storm of alerts to one address stops at the limit, and the dashboard keeps them all.
 * Claims run one at a time (a transaction-scoped lock, held for this statement only), so two
 * mailers cannot both count an address below its limit.
 */
export async function claimAlertEmails(
  sql: Sql,
  args: { limit: number; leaseMs: number; maxPerHour: number; giveUpMs: number },
): Promise<ClaimedAlertEmail[]> {
  return sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${CLAIM_LOCK})`);
    // Too old to be worth sending (no mailer ran for days, SMTP was unset meanwhile): given up
    // before it is claimed, so a stale alert is never sent late.
    await tx.query(
      `UPDATE "AlertEmail" SET "state" = 'FAILED', "leasedUntil" = NULL,
        "lastError" = 'Not sent: still unsent ALERT_EMAIL_GIVE_UP_MS after its alert.'
      WHERE "state" = 'PENDING' AND "createdAt" < ${NOW} - $1 * interval '1 millisecond'
        AND ("leasedUntil" IS NULL OR "leasedUntil" < ${NOW})`,
      [args.giveUpMs],
    );
    return tx.query<ClaimedAlertEmail>(
      `WITH due AS (
        SELECT m."id", m."toAddress", m."createdAt" FROM "AlertEmail" m
        WHERE m."state" = 'PENDING' AND m."nextAttemptAt" <= ${NOW}
          AND (m."leasedUntil" IS NULL OR m."leasedUntil" < ${NOW})
        ORDER BY m."nextAttemptAt" LIMIT $1
        FOR UPDATE SKIP LOCKED
      ), ranked AS (
        SELECT d."id", row_number() OVER (PARTITION BY lower(d."toAddress") ORDER BY d."createdAt", d."id") + (
          SELECT count(*) FROM "AlertEmail" s
          WHERE lower(s."toAddress") = lower(d."toAddress")
            AND (s."sentAt" > ${NOW} - interval '1 hour' OR (s."state" = 'PENDING' AND s."leasedUntil" >= ${NOW}))
        ) AS "rank"
        FROM due d
      ), suppressed AS (
        UPDATE "AlertEmail" m SET "state" = 'SUPPRESSED', "leasedUntil" = NULL,
          "lastError" = 'Not sent: over ALERT_EMAIL_MAX_PER_HOUR for this address.'
        FROM ranked r WHERE m."id" = r."id" AND r."rank" > $2
        RETURNING m."id"
      )
      UPDATE "AlertEmail" m SET "leasedUntil" = ${NOW} + $3 * interval '1 millisecond', "attempts" = m."attempts" + 1
      FROM ranked r WHERE m."id" = r."id" AND r."rank" <= $2
      RETURNING m."id", m."userId", m."webhookId", m."toAddress", m."eventType", m."eventData", m."attempts", m."createdAt"`,
      [args.limit, args.maxPerHour, args.leaseMs],
    );
  });
}

/** Finished mails are kept this long (the outbox is not a log for ever), then deleted. */
export const FINISHED_MAIL_KEPT_MS = 30 * 86_400_000;

/** Deletes up to 1,000 mails finished (sent, suppressed, failed) more than FINISHED_MAIL_KEPT_MS ago. */
export async function pruneAlertEmails(sql: Sql): Promise<number> {
  const rows = await sql.query<{ id: string }>(
    `DELETE FROM "AlertEmail" WHERE "id" IN (
      SELECT "id" FROM "AlertEmail" WHERE "state" <> 'PENDING'
        AND "createdAt" < ${NOW} - $1 * interval '1 millisecond' LIMIT 1000)
    RETURNING "id"`,
    [FINISHED_MAIL_KEPT_MS],
  );
  return rows.length;
}

/** The mail went: SENT, unless its lease was lost to another mailer (then that one's attempt decides). */
export async function markAlertEmailSent(sql: Sql, mail: ClaimedAlertEmail): Promise<void> {
  await sql.query(
    `UPDATE "AlertEmail" SET "state" = 'SENT', "sentAt" = ${NOW}, "leasedUntil" = NULL, "lastError" = NULL
    WHERE "id" = $1 AND "attempts" = $2 AND "state" = 'PENDING'`,
    [mail.id, mail.attempts],
  );
}

/**
 * The SMTP server did not take the mail: retried at `retryAt`, or FAILED when `final` (refused for
 * good, or too old to be worth sending).
 */
export async function markAlertEmailUnsent(
  sql: Sql,
  mail: ClaimedAlertEmail,
  args: { error: string; retryInMs: number; final: boolean },
): Promise<void> {
  await sql.query(
    `UPDATE "AlertEmail" SET "state" = CASE WHEN $3 THEN 'FAILED'::"AlertEmailState" ELSE 'PENDING' END,
      "lastError" = $4, "leasedUntil" = NULL, "nextAttemptAt" = ${NOW} + $5 * interval '1 millisecond'
    WHERE "id" = $1 AND "attempts" = $2 AND "state" = 'PENDING'`,
    [mail.id, mail.attempts, args.final, args.error.slice(0, 1000), args.retryInMs],
  );
}

/** When the next PENDING mail is due (null: none), so the mailer sleeps until then. */
export async function nextAlertEmailDueAt(sql: Sql): Promise<Date | null> {
  const [row] = await sql.query<{ at: Date | null }>(
    `SELECT min(GREATEST("nextAttemptAt", COALESCE("leasedUntil", "nextAttemptAt"))) AS "at"
    FROM "AlertEmail" WHERE "state" = 'PENDING'`,
  );
  return row?.at ?? null;
}
