import type { Event, PublishEventInputSchema } from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor } from '../db/sql.ts';
import { type Event as EventRow, Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { recordNotFound } from './errors.ts';
import { assertEventTypesKnown } from './event-types.ts';
import { newRecordId } from './ids.ts';

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

/** A condition field of eventData, when it is a string (only strings can equal a condition). */
function conditionValue(eventData: Record<string, unknown>, field: string): string | null {
  const value = eventData[field];
  return typeof value === 'string' ? value : null;
}

/**
 * Publishes an event in one statement (so one round trip and no interactive transaction): it stores
 * the event and one dispatch per matching webhook (INSERT ... SELECT: the user's ACTIVE webhooks
 * subscribed to the type whose condition fields that are set each equal the same field of
 * eventData), and NOTIFYs the workers, all atomically; once this returns the event cannot be lost.
 * It updates no shared row (webhook statistics are derived from the dispatches), so concurrent
 * publishes to one webhook never queue on a lock. The same idempotencyKey again returns the first
 * event and creates no dispatches.
 */
export async function publishEvent(
  prisma: PrismaClient,
  args: { userId: string; input: z.output<typeof PublishEventInputSchema> },
): Promise<PublishEventResult> {
  const { userId, input } = args;
  const idempotencyKey = input.idempotencyKey ?? null;
  await assertEventTypesKnown(prisma, { userId, eventTypes: [input.eventType], field: 'eventType' });
  const [row] = await sqlFor(prisma).query<EventRow>(
    `WITH matching AS (
      SELECT w."id" FROM "Webhook" w
      WHERE w."userId" = $1 AND w."state" = 'ACTIVE' AND $2 = ANY(w."eventTypes")
        AND (w."conditionActorId" IS NULL OR w."conditionActorId" = $3)
        AND (w."conditionActorTaskId" IS NULL OR w."conditionActorTaskId" = $4)
        AND (w."conditionActorRunId" IS NULL OR w."conditionActorRunId" = $5)
    ), event AS (
      INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "resource", "idempotencyKey", "dispatchCount", "createdAt")
      SELECT $6, $1, $2, $7::jsonb, $8::jsonb, $9, (SELECT count(*) FROM matching), timezone('UTC', now())
      ON CONFLICT ("userId", "idempotencyKey") DO NOTHING
      RETURNING *
    ), dispatches AS (
      INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource", "createdAt", "nextAttemptAt")
      SELECT ricochet_record_id(), e."userId", m."id", e."id", e."eventType", e."eventData", e."resource",
        e."createdAt", e."createdAt"
      FROM event e CROSS JOIN matching m
      RETURNING 1
    )
    SELECT e.*, CASE WHEN EXISTS (SELECT 1 FROM dispatches) THEN (SELECT 1 FROM pg_notify($10, '')) END AS "notified"
    FROM event e`,
    [
      userId,
      input.eventType,
      conditionValue(input.eventData, 'actorId'),
      conditionValue(input.eventData, 'actorTaskId'),
      conditionValue(input.eventData, 'actorRunId'),
      newRecordId(),
      JSON.stringify(input.eventData),
      input.resource ? JSON.stringify(input.resource) : null,
      idempotencyKey,
      DISPATCH_CHANNEL,
    ],
  );
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
