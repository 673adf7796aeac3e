// Operational events (packages/schema operational-events.ts): what Ricochet says about a user's own
// webhooks and dispatches, published to that user like any event, so the user's webhooks subscribed
// to them receive them signed and retried. Each is emitted in the transaction of the change it
// reports (a webhook created, disabled, ...), so the change and its event commit together or not
// at all: a process killed between the two cannot lose the event or send one for nothing.
import {
  isOperationalEventType,
  type OperationalEventData,
  type OperationalEventType,
} from '@ricochet/schema';
import type { Sql } from '../db/sql.ts';
import type { WebhookColumns } from '../queue/index.ts';
import { EVENTS_FROM_JSON, enqueueEvents } from '../queue/index.ts';
import { newRecordId } from './ids.ts';

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

/**
 * Publishes operational events on `sql` (a transaction's, to commit with the change they report).
 * Each goes to its user's ACTIVE webhooks subscribed to its type, as any event does.
 */
export async function emitOperationalEvents(sql: Sql, events: OperationalEvent[]): Promise<void> {
  if (events.length === 0) return;
  await enqueueEvents(sql, {
    // Stored only for a user with a webhook subscribed to the type: otherwise every user's event
    // log would fill with events no one asked for.
    candidates: `SELECT c.* FROM (${EVENTS_FROM_JSON}) c
      WHERE EXISTS (SELECT 1 FROM "Webhook" w WHERE w."userId" = c."userId" AND w."state" = 'ACTIVE'
        AND c."eventType" = ANY(w."eventTypes"))`,
    params: [
      JSON.stringify(
        events.map((event, position) => ({
          id: newRecordId(),
          userId: event.userId,
          eventType: event.eventType,
          eventData: event.eventData,
          resource: null,
          idempotencyKey: null,
          position,
          request: position,
          limit: NO_LIMIT,
        })),
      ),
    ],
  });
}

/**
 * Whether what a dispatch of this event type does may emit operational events. A dispatch of an
 * operational event never does: a webhook that fails to take them would otherwise be told so by
 * more of them, without end.
 */
export function emitsOperationalEvents(eventType: string): boolean {
  return !isOperationalEventType(eventType);
}
