// Publishing, in one place: one event for its own user (publishEvent, sharing its statement with
// concurrent publishes: publish-grouping.ts), for a user a team serves (publishEventFor), a batch
// in one transaction, and a broadcast to every subscribed user. Each stores events and their
// dispatches through queue/sql/enqueue-events.ts in one statement.

import { SpanKind } from '@opentelemetry/api';
import {
  type BroadcastEventInputSchema,
  type BroadcastEventResult,
  type Event,
  isBuiltInEventType,
  type PublishEventBatchInputSchema,
  type PublishEventBatchResult,
  type PublishEventInputSchema,
} from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor } from '../db/sql.ts';
import type { Event as EventRow, PrismaClient } from '../generated/prisma/client.ts';
import type { StoredEvent } from '../queue/index.ts';
import { EVENTS_FROM_JSON, enqueueEvents } from '../queue/index.ts';
import { contextOf, inSpan, traceparentOf } from '../telemetry/trace-context.ts';
import { AppError, recordNotFound } from './errors.ts';
import { assertEventTypesKnown, assertPublishable } from './event-types.ts';
import { toEvent } from './events.ts';
import { newRecordId } from './ids.ts';
import { type Limits, tooManyDispatches } from './limits.ts';
import { type EventToStore, PublishQueue, publishQueueFor } from './publish-grouping.ts';

export type PublishEventResult = { event: Event; created: boolean };

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
  args: {
    userId: string;
    input: z.output<typeof PublishEventInputSchema>;
    limits: Limits;
    /** The caller's traceparent, which the publish span continues. */
    traceparent?: string | undefined;
  },
): Promise<PublishEventResult> {
  const { userId, input, limits } = args;
  const idempotencyKey = input.idempotencyKey ?? null;
  assertPublishable(input.eventType);
  await assertEventTypesKnown(prisma, { userId, eventTypes: [input.eventType], field: 'eventType' });
  const caller = contextOf(args.traceparent);
  return inSpan('ricochet.publish', publishSpanOptions(userId, input.eventType), caller, async (span) => {
    const outcome = await publishQueue(prisma).publish({
      id: newRecordId(),
      userId,
      eventType: input.eventType,
      eventData: input.eventData,
      resource: input.resource ?? null,
      idempotencyKey,
      limit: limits.maxDispatchesPerRequest,
      traceparent: traceparentOf(span),
    });
    if (outcome.refused !== undefined) throw tooManyDispatches(outcome.refused, limits);
    if (outcome.row) {
      span.setAttributes({
        'ricochet.event_id': outcome.row.id,
        'ricochet.events': 1,
        'ricochet.dispatches': outcome.row.dispatchCount,
      });
      return { event: toEvent(outcome.row), created: true };
    }
    // Only an idempotencyKey that is already taken inserts nothing.
    const winner = idempotencyKey
      ? await prisma.event.findFirst({ where: { userId, idempotencyKey } })
      : null;
    if (!winner) throw new Error('publishing stored no event and found no event with its idempotencyKey');
    span.setAttributes({ 'ricochet.event_id': winner.id, 'ricochet.events': 0, 'ricochet.dispatches': 0 });
    return { event: toEvent(winner), created: false };
  });
}

/**
 * The span of a publish (`ricochet.publish`): a producer, root of the trace its events' deliveries
 * continue (each event stores its traceparent). A batch's events share their request's span.
 */
function publishSpanOptions(userId: string | null, eventType: string | null) {
  return {
    kind: SpanKind.PRODUCER,
    attributes: {
      ...(userId !== null && { 'ricochet.user_id': userId }),
      ...(eventType !== null && { 'ricochet.event_type': eventType }),
    },
  };
}

/** Who publishes: the caller's own user, and whether it may publish for others. */
export type Publisher = { userId: string; isAdmin: boolean };

type EventInput = z.output<typeof PublishEventInputSchema>;

/**
 * The users named by `userId` fields (the caller's own when absent). Only an admin may name another
 * user; every named user must exist (404 otherwise), so an event is never stored for nobody.
 */
async function targetUserIds(
  prisma: PrismaClient,
  publisher: Publisher,
  named: ReadonlyArray<string | undefined>,
): Promise<string[]> {
  const userIds = named.map((userId) => userId ?? publisher.userId);
  const others = [...new Set(userIds.filter((userId) => userId !== publisher.userId))];
  if (others.length === 0) return userIds;
  if (!publisher.isAdmin) {
    throw new AppError('permission-denied', 'Only an administrator can publish events for another user.');
  }
  const found = await sqlFor(prisma).query<{ id: string }>(`SELECT "id" FROM "User" WHERE "id" = ANY($1)`, [
    others,
  ]);
  const known = new Set(found.map((row) => row.id));
  const missing = others.find((userId) => !known.has(userId));
  if (missing) throw recordNotFound('User', missing);
  return userIds;
}

/** Event types must be Apify's or registered by the user the event is for (one query for a whole batch). */
async function assertEventTypesKnownFor(
  prisma: PrismaClient,
  pairs: ReadonlyArray<{ userId: string; eventType: string; index: number }>,
): Promise<void> {
  for (const pair of pairs) assertPublishable(pair.eventType, `events.${pair.index}.eventType`);
  const custom = pairs.filter((pair) => !isBuiltInEventType(pair.eventType));
  if (custom.length === 0) return;
  const unknown = await sqlFor(prisma).query<{ position: number }>(
    `SELECT t."position"::int AS "position"
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t("userId", "name", "position")
     WHERE NOT EXISTS (SELECT 1 FROM "EventType" e WHERE e."userId" = t."userId" AND e."name" = t."name")
     ORDER BY t."position" LIMIT 1`,
    [custom.map((pair) => pair.userId), custom.map((pair) => pair.eventType)],
  );
  const first = unknown[0] && custom[unknown[0].position - 1];
  if (first) {
    throw new AppError(
      'invalid-input',
      `Invalid input: events.${first.index}.eventType: unknown event type "${first.eventType}" for user ${first.userId}. ` +
        "Use one of Apify's types or register it for that user with POST /v2/event-types.",
    );
  }
}

/** `POST /v2/events`, for the caller's user or, for an admin, the user the input names. */
export async function publishEventFor(
  prisma: PrismaClient,
  args: { publisher: Publisher; input: EventInput; limits: Limits; traceparent?: string | undefined },
): Promise<PublishEventResult> {
  const [userId] = await targetUserIds(prisma, args.publisher, [args.input.userId]);
  return publishEvent(prisma, {
    userId: userId as string,
    input: args.input,
    limits: args.limits,
    traceparent: args.traceparent,
  });
}

/** The events already stored under these (userId, idempotencyKey) pairs. */
async function eventsByIdempotencyKey(
  prisma: PrismaClient,
  pairs: ReadonlyArray<{ userId: string; idempotencyKey: string }>,
): Promise<Map<string, EventRow>> {
  if (pairs.length === 0) return new Map();
  const rows = await sqlFor(prisma).query<EventRow>(
    `SELECT ev.* FROM unnest($1::text[], $2::text[]) AS k("userId", "idempotencyKey")
     JOIN "Event" ev ON ev."userId" = k."userId" AND ev."idempotencyKey" = k."idempotencyKey"`,
    [pairs.map((pair) => pair.userId), pairs.map((pair) => pair.idempotencyKey)],
  );
  return new Map(rows.map((row) => [`${row.userId}\u0000${row.idempotencyKey}`, row]));
}

/**
 * `POST /v2/events/batch`: up to 1,000 events in one statement (one transaction), all or nothing:
 * every check (permissions, users, event types) runs before it, and the statement itself is atomic.
 * An event whose idempotencyKey was used before is not stored again: the answer carries the first one.
 */
export async function publishEventBatch(
  prisma: PrismaClient,
  args: {
    publisher: Publisher;
    input: z.output<typeof PublishEventBatchInputSchema>;
    limits: Limits;
    traceparent?: string | undefined;
  },
): Promise<PublishEventBatchResult> {
  const caller = contextOf(args.traceparent);
  return inSpan('ricochet.publish', publishSpanOptions(args.publisher.userId, null), caller, async (span) => {
    const result = await storeEventBatch(prisma, args, traceparentOf(span));
    span.setAttributes({
      'ricochet.events': result.createdCount,
      'ricochet.dispatches': result.events.reduce((sum, event) => sum + event.dispatchCount, 0),
    });
    return result;
  });
}

async function storeEventBatch(
  prisma: PrismaClient,
  args: { publisher: Publisher; input: z.output<typeof PublishEventBatchInputSchema>; limits: Limits },
  traceparent: string | null,
): Promise<PublishEventBatchResult> {
  const { events } = args.input;
  const userIds = await targetUserIds(
    prisma,
    args.publisher,
    events.map((event) => event.userId),
  );
  const rows = events.map((event, index) => ({
    id: newRecordId(),
    userId: userIds[index] as string,
    eventType: event.eventType,
    eventData: event.eventData,
    resource: event.resource ?? null,
    idempotencyKey: event.idempotencyKey ?? null,
    position: index,
    // The whole batch is one request for the dispatch limit.
    request: 0,
    limit: args.limits.maxDispatchesPerRequest,
    traceparent,
  }));
  await assertEventTypesKnownFor(
    prisma,
    rows.map((row) => ({ userId: row.userId, eventType: row.eventType, index: row.position })),
  );
  const { events: inserted, refused } = await enqueueEvents(sqlFor(prisma), {
    candidates: EVENTS_FROM_JSON,
    params: [JSON.stringify(rows)],
  });
  if (refused[0]) throw tooManyDispatches(refused[0].dispatches, args.limits);
  const byPosition = new Map(inserted.map((row) => [row.position, row]));
  const earlier = await eventsByIdempotencyKey(
    prisma,
    rows
      .filter((row) => !byPosition.has(row.position) && row.idempotencyKey !== null)
      .map((row) => ({ userId: row.userId, idempotencyKey: row.idempotencyKey as string })),
  );
  const result = rows.map((row) => {
    const stored = byPosition.get(row.position) ?? earlier.get(`${row.userId}\u0000${row.idempotencyKey}`);
    if (!stored) throw new Error('a batch event was neither stored nor found by its idempotencyKey');
    return toEvent(stored);
  });
  return { events: result, createdCount: inserted.length };
}

/**
 * `POST /v2/events/broadcast` (admins): one event for each user with an ACTIVE webhook subscribed to
 * the type, and one dispatch for each of that user's matching webhooks, in one statement. The
 * idempotencyKey (one is made when absent) is set on every user's event, so repeating a broadcast
 * stores nothing for the users who already have it.
 */
export async function broadcastEvent(
  prisma: PrismaClient,
  args: {
    input: z.output<typeof BroadcastEventInputSchema>;
    limits: Limits;
    traceparent?: string | undefined;
  },
): Promise<BroadcastEventResult> {
  const { input } = args;
  assertPublishable(input.eventType);
  const caller = contextOf(args.traceparent);
  return inSpan('ricochet.publish', publishSpanOptions(null, input.eventType), caller, async (span) => {
    const result = await storeBroadcast(prisma, args, traceparentOf(span));
    span.setAttributes({
      'ricochet.events': result.events.length,
      'ricochet.dispatches': result.dispatchCount,
    });
    return result;
  });
}

async function storeBroadcast(
  prisma: PrismaClient,
  args: { input: z.output<typeof BroadcastEventInputSchema>; limits: Limits },
  traceparent: string | null,
): Promise<BroadcastEventResult> {
  const { input, limits } = args;
  const { events: rows, refused } = await enqueueEvents(sqlFor(prisma), {
    // The whole broadcast is one request for the dispatch limit.
    candidates: `SELECT ricochet_record_id() AS "id", s."userId", $1::text AS "eventType", $2::jsonb AS "eventData",
       $3::jsonb AS "resource", $4::text AS "idempotencyKey", (row_number() OVER (ORDER BY s."userId"))::int AS "position",
       0 AS "request", $5::int AS "limit", $6::text AS "traceparent"
     FROM (SELECT DISTINCT w."userId" FROM "Webhook" w WHERE w."state" = 'ACTIVE' AND $1 = ANY(w."eventTypes")) s`,
    params: [
      input.eventType,
      JSON.stringify(input.eventData),
      input.resource ? JSON.stringify(input.resource) : null,
      input.idempotencyKey ?? `broadcast-${newRecordId()}`,
      limits.maxDispatchesPerRequest,
      traceparent,
    ],
  });
  if (refused[0]) throw tooManyDispatches(refused[0].dispatches, limits);
  return {
    events: rows.map(toEvent),
    dispatchCount: rows.reduce((sum, row) => sum + row.dispatchCount, 0),
  };
}
