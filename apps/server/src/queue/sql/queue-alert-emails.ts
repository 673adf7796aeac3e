import { NOW, type Sql } from '../../db/sql.ts';
import { ALERT_EMAIL_CHANNEL } from '../constants.ts';

export type AlertEmailEvent = { userId: string; webhookId: string; eventType: string; eventData: unknown };

/**
 * Queues an alert e-mail for each event to its user's alertEmail and its webhook's errorsEmail (one
 * mail when both are the same address), in the outbox the mailer sends from (src/mail), and NOTIFYs
 * the mailers. Run on the transaction of the operational event it reports, so the alert commits with
 * it or not at all. Addresses are read when the event happens: a later change does not redirect it.
 */
export async function queueAlertEmails(sql: Sql, events: AlertEmailEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sql.query(
    `WITH alert AS (
      SELECT * FROM jsonb_to_recordset($1::jsonb) AS a("userId" text, "webhookId" text, "eventType" text, "eventData" jsonb, "position" int)
    ), addressed AS (
      SELECT DISTINCT ON (a."position", lower(x."address")) a.*, x."address"
      FROM alert a
      JOIN "User" u ON u."id" = a."userId"
      LEFT JOIN "Webhook" w ON w."id" = a."webhookId"
      CROSS JOIN LATERAL (VALUES (u."alertEmail"), (w."errorsEmail")) AS x("address")
      WHERE x."address" IS NOT NULL
      ORDER BY a."position", lower(x."address")
    ), queued AS (
      INSERT INTO "AlertEmail" ("id", "userId", "webhookId", "toAddress", "eventType", "eventData", "createdAt", "nextAttemptAt")
      SELECT ricochet_record_id(), d."userId", d."webhookId", d."address", d."eventType", d."eventData", ${NOW}, ${NOW}
      FROM addressed d
      RETURNING 1
    )
    SELECT pg_notify($2, '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued`,
    [JSON.stringify(events.map((event, position) => ({ ...event, position }))), ALERT_EMAIL_CHANNEL],
  );
}
