import type { Event, PublishEventInputSchema } from '@ricochet/schema';
import type { z } from 'zod';
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

/**
 * The webhooks an event goes to: the user's ACTIVE webhooks that subscribe to its type and whose
 * condition fields that are set each equal the same field of eventData.
 */
function matchingWebhooks(
  tx: Transaction,
  userId: string,
  eventType: string,
  eventData: Record<string, unknown>,
) {
  const conditionMatch = (
    column: 'conditionActorId' | 'conditionActorTaskId' | 'conditionActorRunId',
    field: string,
  ) => {
    const value = eventData[field];
    return typeof value === 'string' ? { OR: [{ [column]: null }, { [column]: value }] } : { [column]: null };
  };
  return tx.webhook.findMany({
    where: {
      userId,
      state: 'ACTIVE',
      eventTypes: { has: eventType },
      AND: [
        conditionMatch('conditionActorId', 'actorId'),
        conditionMatch('conditionActorTaskId', 'actorTaskId'),
        conditionMatch('conditionActorRunId', 'actorRunId'),
      ],
    },
    select: { id: true },
  });
}

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
  await tx.webhook.updateMany({
    where: { id: { in: args.webhookIds } },
    data: { totalDispatches: { increment: 1 }, lastDispatchStatus: 'ACTIVE', lastDispatchFinishedAt: null },
  });
  await tx.$executeRaw`SELECT pg_notify(${DISPATCH_CHANNEL}, '')`;
  return rows.map((row) => row.id);
}

export type PublishEventResult = { event: Event; created: boolean };

/**
 * Publishes an event: one transaction stores it and one dispatch per matching webhook, so once this
 * returns the event cannot be lost. The same idempotencyKey again returns the first event and
 * creates no dispatches.
 */
export async function publishEvent(
  prisma: PrismaClient,
  args: { userId: string; input: z.output<typeof PublishEventInputSchema> },
): Promise<PublishEventResult> {
  const { userId, input } = args;
  const idempotencyKey = input.idempotencyKey ?? null;
  const findByKey = () =>
    idempotencyKey
      ? prisma.event.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } } })
      : null;

  const existing = await findByKey();
  if (existing) return { event: toEvent(existing), created: false };
  await assertEventTypesKnown(prisma, { userId, eventTypes: [input.eventType], field: 'eventType' });

  try {
    const row = await prisma.$transaction(async (tx) => {
      const eventId = newRecordId();
      const webhooks = await matchingWebhooks(tx, userId, input.eventType, input.eventData);
      const created = await tx.event.create({
        data: {
          id: eventId,
          userId,
          eventType: input.eventType,
          eventData: input.eventData as Prisma.InputJsonObject,
          resource: input.resource ? (input.resource as Prisma.InputJsonObject) : Prisma.DbNull,
          idempotencyKey,
          dispatchCount: webhooks.length,
        },
      });
      await enqueueDispatches(tx, {
        userId,
        webhookIds: webhooks.map((webhook) => webhook.id),
        eventId,
        eventType: input.eventType,
        eventData: input.eventData,
        resource: input.resource ?? null,
        now: created.createdAt,
      });
      return created;
    });
    return { event: toEvent(row), created: true };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      const winner = await findByKey();
      if (winner) return { event: toEvent(winner), created: false };
    }
    throw error;
  }
}

export async function getEvent(
  prisma: PrismaClient,
  args: { userId: string; eventId: string },
): Promise<Event> {
  const row = await prisma.event.findFirst({ where: { id: args.eventId, userId: args.userId } });
  if (!row) throw recordNotFound('Event', args.eventId);
  return toEvent(row);
}
