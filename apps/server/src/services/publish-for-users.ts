import {
  type BroadcastEventInputSchema,
  type BroadcastEventResult,
  isBuiltInEventType,
  type PublishEventBatchInputSchema,
  type PublishEventBatchResult,
  type PublishEventInputSchema,
} from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor } from '../db/sql.ts';
import type { Event as EventRow, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, recordNotFound } from './errors.ts';
import { DISPATCH_CHANNEL, type PublishEventResult, publishEvent, toEvent } from './events.ts';
import { newRecordId } from './ids.ts';

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
  args: { publisher: Publisher; input: EventInput },
): Promise<PublishEventResult> {
  const [userId] = await targetUserIds(prisma, args.publisher, [args.input.userId]);
  return publishEvent(prisma, { userId: userId as string, input: args.input });
}

/**
 * A webhook of the event's user matches the event: ACTIVE, subscribed to its type, and each condition
 * field that is set equals the same string field of eventData (the rule of publishEvent).
 */
const WEBHOOK_MATCHES_EVENT = `w."userId" = e."userId" AND w."state" = 'ACTIVE' AND e."eventType" = ANY(w."eventTypes")
  AND (w."conditionActorId" IS NULL OR w."conditionActorId" = e."eventData"->>'actorId' AND jsonb_typeof(e."eventData"->'actorId') = 'string')
  AND (w."conditionActorTaskId" IS NULL OR w."conditionActorTaskId" = e."eventData"->>'actorTaskId' AND jsonb_typeof(e."eventData"->'actorTaskId') = 'string')
  AND (w."conditionActorRunId" IS NULL OR w."conditionActorRunId" = e."eventData"->>'actorRunId' AND jsonb_typeof(e."eventData"->'actorRunId') = 'string')`;

/**
 * Stores events and their dispatches in ONE statement, so they are stored all together or not at
 * all, and NOTIFYs the workers when there are dispatches. `candidates` is a SELECT of
 * ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "position"). Events whose
 * (userId, idempotencyKey) is taken insert nothing. Like publishEvent, it updates no shared row.
 */
async function insertEvents(
  prisma: PrismaClient,
  candidates: string,
  params: unknown[],
): Promise<Array<EventRow & { position: number }>> {
  const channel = `$${params.length + 1}`;
  return sqlFor(prisma).query<EventRow & { position: number }>(
    `WITH candidate AS (${candidates}),
    event AS (
      INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "dispatchCount", "createdAt")
      SELECT e."id", e."userId", e."eventType", e."eventData", e."resource", e."idempotencyKey",
        (SELECT count(*) FROM "Webhook" w WHERE ${WEBHOOK_MATCHES_EVENT}), timezone('UTC', now())
      FROM candidate e ORDER BY e."position"
      ON CONFLICT ("userId", "idempotencyKey") DO NOTHING
      RETURNING *
    ), dispatches AS (
      INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource", "createdAt", "nextAttemptAt")
      SELECT ricochet_record_id(), e."userId", w."id", e."id", e."eventType", e."eventData", e."resource", e."createdAt", e."createdAt"
      FROM event e JOIN "Webhook" w ON ${WEBHOOK_MATCHES_EVENT}
      RETURNING 1
    )
    SELECT e.*, c."position"::int AS "position",
      CASE WHEN EXISTS (SELECT 1 FROM dispatches) THEN (SELECT 1 FROM pg_notify(${channel}, '')) END AS "notified"
    FROM event e JOIN candidate c ON c."id" = e."id"
    ORDER BY c."position"`,
    [...params, DISPATCH_CHANNEL],
  );
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
  args: { publisher: Publisher; input: z.output<typeof PublishEventBatchInputSchema> },
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
  }));
  await assertEventTypesKnownFor(
    prisma,
    rows.map((row) => ({ userId: row.userId, eventType: row.eventType, index: row.position })),
  );
  const inserted = await insertEvents(
    prisma,
    `SELECT i."id", i."userId", i."eventType", i."eventData", i."resource", i."idempotencyKey", i."position"
     FROM jsonb_to_recordset($1::jsonb) AS i("id" text, "userId" text, "eventType" text, "eventData" jsonb,
       "resource" jsonb, "idempotencyKey" text, "position" int)`,
    [JSON.stringify(rows)],
  );
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
  args: { input: z.output<typeof BroadcastEventInputSchema> },
): Promise<BroadcastEventResult> {
  const { input } = args;
  const rows = await insertEvents(
    prisma,
    `SELECT ricochet_record_id() AS "id", s."userId", $1::text AS "eventType", $2::jsonb AS "eventData",
       $3::jsonb AS "resource", $4::text AS "idempotencyKey", (row_number() OVER (ORDER BY s."userId"))::int AS "position"
     FROM (SELECT DISTINCT w."userId" FROM "Webhook" w WHERE w."state" = 'ACTIVE' AND $1 = ANY(w."eventTypes")) s`,
    [
      input.eventType,
      JSON.stringify(input.eventData),
      input.resource ? JSON.stringify(input.resource) : null,
      input.idempotencyKey ?? `broadcast-${newRecordId()}`,
    ],
  );
  return {
    events: rows.map(toEvent),
    dispatchCount: rows.reduce((sum, row) => sum + row.dispatchCount, 0),
  };
}
