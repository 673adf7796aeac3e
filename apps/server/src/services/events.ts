import type { Event, PublishEventInputSchema } from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor } from '../db/sql.ts';
import { type Event as EventRow, Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { recordNotFound } from './errors.ts';
import { assertEventTypesKnown } from './event-types.ts';
import { newRecordId } from './ids.ts';
import { PublishQueue, publishQueueFor } from './publish-queue.ts';

/** Workers LISTEN on this channel; a publish NOTIFYs it inside its transaction, so the wake-up
 * arrives exactly when the dispatches become visible (PostgreSQL delivers NOTIFY on commit). */
export const DISPATCH_CHANNEL = 'ricochet_dispatches';

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

type Transaction = Prisma.TransactionClient;

/** Stores dispatches for an event's webhooks and wakes the workers; part of the caller's transaction. */
export async function enqueueDispatches(
  tx: Transaction,
  args: {
    userId: string;
    webhookIds: string[];
    eventId: string | null;
    eventType: string;
    eventData: Record<string, unknown>;
    resource: Record<string, unknown> | null;
    now?: Date;
  },
): Promise<string[]> {
  if (args.webhookIds.length === 0) return [];
  const now = args.now ?? new Date();
  const rows = args.webhookIds.map((webhookId) => ({
    id: newRecordId(),
    userId: args.userId,
    webhookId,
    eventId: args.eventId,
    eventType: args.eventType,
    eventData: args.eventData as Prisma.InputJsonObject,
    resource: args.resource ? (args.resource as Prisma.InputJsonObject) : Prisma.DbNull,
    createdAt: now,
    nextAttemptAt: now,
  }));
  await tx.dispatch.createMany({ data: rows });
  await tx.$executeRaw`SELECT pg_notify(${DISPATCH_CHANNEL}, '')`;
  return rows.map((row) => row.id);
}

export type PublishEventResult = { event: Event; created: boolean };

/**
 * A webhook matches an event (`e`): the event's user's, ACTIVE, subscribed to its type, and each
 * condition field that is set equals the same field of eventData when that field is a string.
 */
const WEBHOOK_MATCHES_EVENT = `w."userId" = e."userId" AND w."state" = 'ACTIVE' AND e."eventType" = ANY(w."eventTypes")
  AND (w."conditionActorId" IS NULL OR w."conditionActorId" = e."eventData"->>'actorId' AND jsonb_typeof(e."eventData"->'actorId') = 'string')
  AND (w."conditionActorTaskId" IS NULL OR w."conditionActorTaskId" = e."eventData"->>'actorTaskId' AND jsonb_typeof(e."eventData"->'actorTaskId') = 'string')
  AND (w."conditionActorRunId" IS NULL OR w."conditionActorRunId" = e."eventData"->>'actorRunId' AND jsonb_typeof(e."eventData"->'actorRunId') = 'string')`;

/** insertEvents' candidates from a JSON array of events ($1), each with its "position". */
export const EVENTS_FROM_JSON = `SELECT i."id", i."userId", i."eventType", i."eventData", i."resource", i."idempotencyKey", i."position"
  FROM jsonb_to_recordset($1::jsonb) AS i("id" text, "userId" text, "eventType" text, "eventData" jsonb,
    "resource" jsonb, "idempotencyKey" text, "position" int)`;

/**
 * Stores events and their dispatches in ONE statement (one round trip, no interactive
 * transaction), so they are stored all together or not at all, and NOTIFYs the workers when there
 * are dispatches; once it returns, the events cannot be lost. `candidates` is a SELECT of
 * ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "position"); the
 * webhooks matching each are found once and give both its dispatchCount and its dispatches
 * (INSERT ... SELECT). Events whose (userId, idempotencyKey) is taken insert nothing. It updates
 * no shared row and, with no foreign keys on events and dispatches, locks none either (webhook
 * statistics are derived from the dispatches), so concurrent publishes never queue on a lock.
 * `name` prepares the statement (fixed candidates only, see Sql).
 */
export async function insertEvents(
  prisma: PrismaClient,
  candidates: string,
  params: unknown[],
  name?: string,
): Promise<Array<EventRow & { position: number }>> {
  const channel = `$${params.length + 1}`;
  return sqlFor(prisma).query<EventRow & { position: number }>(
    `WITH candidate AS (${candidates}),
    matching AS (
      SELECT e."id" AS "eventId", w."id" AS "webhookId" FROM candidate e JOIN "Webhook" w ON ${WEBHOOK_MATCHES_EVENT}
    ),
    event AS (
      INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "dispatchCount", "createdAt")
      SELECT e."id", e."userId", e."eventType", e."eventData", e."resource", e."idempotencyKey",
        COALESCE(n."count", 0), timezone('UTC', now())
      FROM candidate e
      LEFT JOIN (SELECT "eventId", count(*) AS "count" FROM matching GROUP BY 1) n ON n."eventId" = e."id"
      ORDER BY e."position"
      ON CONFLICT ("userId", "idempotencyKey") DO NOTHING
      RETURNING *
    ), dispatches AS (
      INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource", "createdAt", "nextAttemptAt")
      SELECT ricochet_record_id(), e."userId", m."webhookId", e."id", e."eventType", e."eventData", e."resource", e."createdAt", e."createdAt"
      FROM event e JOIN matching m ON m."eventId" = e."id"
      RETURNING 1
    )
    SELECT e.*, c."position"::int AS "position",
      CASE WHEN EXISTS (SELECT 1 FROM dispatches) THEN (SELECT 1 FROM pg_notify(${channel}, '')) END AS "notified"
    FROM event e JOIN candidate c ON c."id" = e."id"
    ORDER BY c."position"`,
    [...params, DISPATCH_CHANNEL],
    name,
  );
}

/**
 * Publish statements running at once per process before publishes queue and share the next
 * statement (see PublishQueue). PGlite runs one statement at a time anyway; on PostgreSQL a few
 * statements in flight keep its group commit busy while leaving pool connections to the rest of
 * the API.
 */
const CONCURRENT_PUBLISH_STATEMENTS = { pglite: 1, postgres: 4 } as const;

function publishQueue(prisma: PrismaClient): PublishQueue<EventRow & { position: number }> {
  return publishQueueFor(prisma, () => {
    const sql = sqlFor(prisma);
    return new PublishQueue(
      (events) =>
        insertEvents(
          prisma,
          EVENTS_FROM_JSON,
          [JSON.stringify(events.map((event, position) => ({ ...event, position })))],
          'ricochet_publish_events',
        ),
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
  args: { userId: string; input: z.output<typeof PublishEventInputSchema> },
): Promise<PublishEventResult> {
  const { userId, input } = args;
  const idempotencyKey = input.idempotencyKey ?? null;
  await assertEventTypesKnown(prisma, { userId, eventTypes: [input.eventType], field: 'eventType' });
  const row = await publishQueue(prisma).publish({
    id: newRecordId(),
    userId,
    eventType: input.eventType,
    eventData: input.eventData,
    resource: input.resource ?? null,
    idempotencyKey,
  });
  if (row) return { event: toEvent(row), created: true };
  // Only an idempotencyKey that is already taken inserts nothing.
  const winner = idempotencyKey
    ? await prisma.event.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } } })
    : null;
  if (!winner) throw new Error('publishing stored no event and found no event with its idempotencyKey');
  return { event: toEvent(winner), created: false };
}

export async function getEvent(
  prisma: PrismaClient,
  args: { userId: string; eventId: string },
): Promise<Event> {
  const row = await prisma.event.findFirst({ where: { id: args.eventId, userId: args.userId } });
  if (!row) throw recordNotFound('Event', args.eventId);
  return toEvent(row);
}
