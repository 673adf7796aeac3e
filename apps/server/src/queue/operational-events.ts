// Operational events (packages/schema operational-events.ts): what Ricochet says about a user's own
// webhooks and dispatches, published to that user like any event, so the user's webhooks subscribed
// to them receive them signed and retried. Each is emitted in the transaction of the change it
// reports (a webhook created, disabled, ...), so the change and its event commit together or not
// at all: a process killed between the two cannot lose the event or send one for nothing.
import {
  isOperationalEventType,
  NOTIFICATIONS_PER_WEBHOOK,
  type OperationalEventData,
  type OperationalEventType,
  WEBHOOK_NOTIFICATION_TYPES,
} from '@ricochet/schema';
import { NOW, type Sql } from '../db/sql.ts';
import { enqueueEvents } from './sql/enqueue-events.ts';
import { queueAlertEmails } from './sql/queue-alert-emails.ts';
import type { WebhookColumns } from './sql/webhook-columns.ts';

export type OperationalEvent = {
  [Type in OperationalEventType]: { userId: string; eventType: Type; eventData: OperationalEventData<Type> };
}[OperationalEventType];

/** What an operational event carries of its webhook (columns as the queue's statements return them). */
export type { WebhookColumns };

export function webhookRef(webhook: WebhookColumns) {
  return {
    webhookId: webhook.id,
    userId: webhook.userId,
    requestUrl: webhook.requestUrl,
    state: webhook.state,
    description: webhook.description,
  };
}

/** No request's dispatch limit applies to Ricochet's own events (a user has at most its webhooks). */
const NO_LIMIT = 2_147_483_647;

/** The operational events that are also sent by e-mail, to the addresses of their webhook and user. */
const ALERT_EMAIL_TYPES: ReadonlySet<OperationalEventType> = new Set([
  'ricochet.webhook.failing',
  'ricochet.webhook.disabled',
]);

/**
 * Publishes operational events on `sql` (a transaction's, to commit with the change they report).
 * Each goes to its user's ACTIVE webhooks subscribed to its type, as any event does. With
 * `alertEmails` (the installation sends mail: SMTP_HOST is set), a webhook failing or disabled is
 * also queued as an e-mail to its user's alertEmail and its own errorsEmail.
 */
export async function emitOperationalEvents(
  sql: Sql,
  events: OperationalEvent[],
  options: { alertEmails?: boolean } = {},
): Promise<void> {
  if (events.length === 0) return;
  await keepNotifications(sql, events);
  if (options.alertEmails) {
    await queueAlertEmails(
      sql,
      events.flatMap((event) =>
        ALERT_EMAIL_TYPES.has(event.eventType) && 'webhookId' in event.eventData
          ? [{ ...event, webhookId: (event.eventData as { webhookId: string }).webhookId }]
          : [],
      ),
    );
  }
  await enqueueEvents(sql, {
    // Each event goes to its user and, as a copy of its own, to every admin (the installation's
    // operators see every user's; eventData.userId says whose). Stored only for a user with a
    // webhook subscribed to the type: otherwise every event log would fill with events no one
    // asked for.
    candidates: `WITH given AS (
        SELECT ricochet_record_id() AS "id", i."userId", i."eventType", i."eventData", NULL::jsonb AS "resource",
          NULL::text AS "idempotencyKey", i."position", i."position" AS "request", ${NO_LIMIT} AS "limit",
          NULL::text AS "traceparent"
        FROM jsonb_to_recordset($1::jsonb) AS i("userId" text, "eventType" text, "eventData" jsonb, "position" int)
      )
      SELECT c.* FROM (
        SELECT * FROM given
        UNION ALL
        SELECT ricochet_record_id(), a."id", g."eventType", g."eventData", g."resource", NULL, g."position", g."request", g."limit", NULL
        FROM given g JOIN "User" a ON a."isAdmin" AND a."id" <> g."userId"
      ) c
      WHERE EXISTS (SELECT 1 FROM "Webhook" w WHERE w."userId" = c."userId" AND w."state" = 'ACTIVE'
        AND c."eventType" = ANY(w."eventTypes"))`,
    params: [
      JSON.stringify(
        events.map((event, position) => ({
          userId: event.userId,
          eventType: event.eventType,
          eventData: event.eventData,
          position,
        })),
      ),
    ],
  });
}

/**
 * Publishes operational events about the installation itself (not about one user's webhooks) to its
 * operators: stored for the first admin and, as for every operational event, copied to every other
 * admin. Nothing when there is no admin.
 */
export async function emitOperatorEvents(
  sql: Sql,
  events: Array<Omit<Extract<OperationalEvent, { eventType: 'ricochet.retention.dropped' }>, 'userId'>>,
): Promise<void> {
  const [admin] = await sql.query<{ id: string }>(
    `SELECT "id" FROM "User" WHERE "isAdmin" ORDER BY "createdAt", "id" LIMIT 1`,
  );
  if (!admin) return;
  await sql.transaction((tx) =>
    emitOperationalEvents(
      tx,
      events.map((event) => ({ ...event, userId: admin.id })),
    ),
  );
}

/** `ricochet.retention.dropped` for a maintenance run's drops. */
export function retentionDroppedEvent(report: {
  dropBefore: Date;
  retentionDays: number;
  droppedPartitions: Array<{ table: string; name: string; from: Date; to: Date }>;
}) {
  return {
    eventType: 'ricochet.retention.dropped' as const,
    eventData: {
      droppedBefore: report.dropBefore.toISOString(),
      retentionDays: report.retentionDays,
      partitions: report.droppedPartitions.map((partition) => ({
        table: partition.table,
        name: partition.name,
        from: partition.from.toISOString(),
        to: partition.to.toISOString(),
      })),
    },
  };
}

/**
 * Whether what a dispatch of this event type does may emit operational events. A dispatch of an
 * operational event never does: a webhook that fails to take them would otherwise be told so by
 * more of them, without end.
 */
export function emitsOperationalEvents(eventType: string): boolean {
  return !isOperationalEventType(eventType);
}

const NOTIFICATION_TYPES: ReadonlySet<string> = new Set(WEBHOOK_NOTIFICATION_TYPES);

/**
 * Keeps the webhook events among `events` as their webhook's notifications (its page's recent
 * changes), whoever subscribed, and drops each webhook's beyond the newest NOTIFICATIONS_PER_WEBHOOK,
 * so a webhook that flaps for months keeps a bounded list.
 */
async function keepNotifications(sql: Sql, events: OperationalEvent[]): Promise<void> {
  const notes = events
    .filter((event) => NOTIFICATION_TYPES.has(event.eventType) && 'webhookId' in event.eventData)
    .map((event, position) => ({
      userId: event.userId,
      webhookId: (event.eventData as { webhookId: string }).webhookId,
      eventType: event.eventType,
      eventData: event.eventData,
      position,
    }));
  if (notes.length === 0) return;
  await sql.query(
    `WITH note AS (
      SELECT * FROM jsonb_to_recordset($1::jsonb) AS n("userId" text, "webhookId" text, "eventType" text, "eventData" jsonb, "position" int)
    ), kept AS (
      INSERT INTO "WebhookNotification" ("id", "userId", "webhookId", "eventType", "eventData", "createdAt")
      -- A millisecond apart in the order given (failing before disabled, updated before enabled):
      -- the page lists them newest first, and one statement's share its clock.
      SELECT ricochet_record_id(), n."userId", n."webhookId", n."eventType", n."eventData", ${NOW} + n."position" * interval '1 millisecond'
      FROM note n WHERE EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = n."webhookId")
    )
    -- Sees the webhooks' notifications as they were before this statement (one snapshot): a list
    -- is at most NOTIFICATIONS_PER_WEBHOOK plus what one statement adds.
    DELETE FROM "WebhookNotification" old
    WHERE old."webhookId" IN (SELECT "webhookId" FROM note)
      AND old."id" NOT IN (
        SELECT keep."id" FROM "WebhookNotification" keep WHERE keep."webhookId" = old."webhookId"
        ORDER BY keep."createdAt" DESC, keep."id" DESC LIMIT $2)`,
    [JSON.stringify(notes), NOTIFICATIONS_PER_WEBHOOK],
  );
}
