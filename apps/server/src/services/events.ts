import type { Event } from '@ricochet/schema';
import type { Event as EventRow, PrismaClient } from '../generated/prisma/client.ts';
import { historyWindow } from '../history/retention.ts';
import { recordNotFound } from './errors.ts';

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
