import type { Event, PublishEventInputSchema } from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor } from '../db/sql.ts';
import type { Event as EventRow, PrismaClient } from '../generated/prisma/client.ts';
import { historyWindow } from '../history/retention.ts';
import { EVENTS_FROM_JSON, enqueueEvents, type StoredEvent } from '../queue/index.ts';
import { recordNotFound } from './errors.ts';
import { assertEventTypesKnown } from './event-types.ts';
import { newRecordId } from './ids.ts';
import { type Limits, tooManyDispatches } from './limits.ts';
import { type EventToStore, PublishQueue, publishQueueFor } from './publish-queue.ts';

export type PublishEventResult = { event: Event; created: boolean };

export function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    userId: row.userId,
    eventType: row.eventType,
    eventData: row.eventData as Record<string, unknown>,
    resource: (row.resource as Record<string, unknown> | null) ?? null,
    createdAt: row.createdAt.toISOString(),
    dispatchCount: row.dispatchCount,
  };
}

/**
 * Publish statements running at once per process before publishes queue and share the next
 * statement (see PublishQueue). PGlite runs one statement at a time anyway; on PostgreSQL a few
 * statements in flight keep its group commit busy while leaving pool connections to the rest of
 * the API.
 */
const CONCURRENT_PUBLISH_STATEMENTS = { pglite: 1, postgres: 4 } as const;

function publishQueue(prisma: PrismaClient): PublishQueue<StoredEvent> {
  return publishQueueFor(prisma, () => {
    const sql = sqlFor(prisma);
    return new PublishQueue(
      async (events) => {
        // Each publish is a request of its own for the dispatch limit.
        const { events: stored, refused } = await enqueueEvents(sql, {
          candidates: EVENTS_FROM_JSON,
          params: [
            JSON.stringify(events.map((event, position) => ({ ...event, position, request: position }))),
          ],
          name: 'ricochet_publish_events',
        });
        return {
          rows: stored,
          refused: new Map(
            refused.map(({ request, dispatches }) => [(events[request] as EventToStore).id, dispatches]),
          ),
        };
      },
      sql.backend === 'pglite'
        ? CONCURRENT_PUBLISH_STATEMENTS.pglite
        : CONCURRENT_PUBLISH_STATEMENTS.postgres,
      sql.backend === 'pglite',
    );
  });
}

/**
 * Publishes an event: stores it with one dispatch per matching webhook (the user's ACTIVE webhooks
 * subscribed to the type whose condition fields that are set each equal the same field of
 * eventData) before it returns, sharing its statement with concurrent publishes (PublishQueue).
 * The same idempotencyKey again returns the first event and creates no dispatches.
 */
export async function publishEvent(
  prisma: PrismaClient,
  args: { userId: string; input: z.output<typeof PublishEventInputSchema>; limits: Limits },
): Promise<PublishEventResult> {
  const { userId, input, limits } = args;
  const idempotencyKey = input.idempotencyKey ?? null;
  await assertEventTypesKnown(prisma, { userId, eventTypes: [input.eventType], field: 'eventType' });
  const outcome = await publishQueue(prisma).publish({
    id: newRecordId(),
    userId,
    eventType: input.eventType,
    eventData: input.eventData,
    resource: input.resource ?? null,
    idempotencyKey,
    limit: limits.maxDispatchesPerRequest,
  });
  if (outcome.refused !== undefined) throw tooManyDispatches(outcome.refused, limits);
  if (outcome.row) return { event: toEvent(outcome.row), created: true };
  // Only an idempotencyKey that is already taken inserts nothing.
  const winner = idempotencyKey ? await prisma.event.findFirst({ where: { userId, idempotencyKey } }) : null;
  if (!winner) throw new Error('publishing stored no event and found no event with its idempotencyKey');
  return { event: toEvent(winner), created: false };
}

export async function getEvent(
  prisma: PrismaClient,
  args: { userId: string; eventId: string },
): Promise<Event> {
  const history = await historyWindow(prisma, args.userId);
  const row = await prisma.event.findFirst({
    where: {
      id: args.eventId,
      userId: args.userId,
      ...(history && { createdAt: { gte: history.historyStartsAt } }),
    },
  });
  if (!row) throw recordNotFound('Event', args.eventId);
  return toEvent(row);
}
