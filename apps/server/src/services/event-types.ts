import {
  APIFY_EVENT_TYPES,
  BUILT_IN_EVENT_TYPE_DOCS,
  type CreateEventTypeInputSchema,
  type EventType,
  isBuiltInEventType,
  isOperationalEventType,
  isReservedEventTypeName,
  MAX_EVENT_TYPES_PER_USER,
  OPERATIONAL_EVENT_PREFIX,
  OPERATIONAL_EVENT_TYPE_DOCS,
  OPERATIONAL_EVENT_TYPES,
} from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor } from '../db/sql.ts';
import { type EventType as EventTypeRow, Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { AppError, recordNotFound } from './errors.ts';
import { newRecordId } from './ids.ts';

/** Apify's catalogue, then Ricochet's own operational events (see operational-events.ts). */
const BUILT_IN: EventType[] = [
  ...APIFY_EVENT_TYPES.map((name) => ({ name, ...BUILT_IN_EVENT_TYPE_DOCS[name] })),
  ...OPERATIONAL_EVENT_TYPES.map((name) => ({ name, ...OPERATIONAL_EVENT_TYPE_DOCS[name] })),
].map((type) => ({ ...type, builtIn: true, createdAt: null }));

/** A type every installation knows: a webhook subscribes to it without registering it. */
function isKnownEverywhere(name: string): boolean {
  return isBuiltInEventType(name) || isOperationalEventType(name);
}

/**
 * Only Ricochet publishes operational events: a type in their namespace is refused for publishing
 * (and registering), so a subscriber can trust that a `ricochet.*` event is Ricochet's.
 */
export function assertPublishable(eventType: string, field = 'eventType'): void {
  if (!isReservedEventTypeName(eventType)) return;
  throw new AppError(
    'invalid-input',
    `Invalid input: ${field}: "${eventType}" is in the "${OPERATIONAL_EVENT_PREFIX}" namespace, which is Ricochet's own (operational events); only Ricochet publishes those.`,
  );
}

function toEventType(row: EventTypeRow): EventType {
  return {
    name: row.name,
    description: row.description,
    exampleData: (row.exampleData as Record<string, unknown> | null) ?? null,
    builtIn: false,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Apify's catalogue first, then the user's own types by name. */
export async function listEventTypes(prisma: PrismaClient, args: { userId: string }): Promise<EventType[]> {
  const own = await prisma.eventType.findMany({ where: { userId: args.userId }, orderBy: { name: 'asc' } });
  return [...BUILT_IN, ...own.map(toEventType)];
}

export async function createEventType(
  prisma: PrismaClient,
  args: { userId: string; input: z.output<typeof CreateEventTypeInputSchema> },
): Promise<EventType> {
  const { name, description, exampleData } = args.input;
  if (isKnownEverywhere(name)) throw new AppError('record-not-unique', `Event type ${name} is built in.`);
  assertPublishable(name, 'name');
  const existing = await prisma.eventType.findUnique({
    where: { userId_name: { userId: args.userId, name } },
  });
  if (existing) throw new AppError('record-not-unique', `Event type ${name} already exists.`);
  // The catalogue is answered whole, so it is bounded by count (each type's example is bounded by size).
  if ((await prisma.eventType.count({ where: { userId: args.userId } })) >= MAX_EVENT_TYPES_PER_USER) {
    throw new AppError(
      'invalid-input',
      `Invalid input: you have ${MAX_EVENT_TYPES_PER_USER} event types of your own, the most there can be; delete one first.`,
    );
  }
  const row = await prisma.eventType.create({
    data: {
      id: newRecordId(),
      userId: args.userId,
      name,
      description: description ?? null,
      exampleData: exampleData ? (exampleData as Prisma.InputJsonObject) : Prisma.DbNull,
    },
  });
  return toEventType(row);
}

export async function deleteEventType(
  prisma: PrismaClient,
  args: { userId: string; name: string },
): Promise<void> {
  const { count } = await prisma.eventType.deleteMany({ where: { userId: args.userId, name: args.name } });
  if (count === 0) throw recordNotFound('Event type', args.name);
}

/** Webhooks may subscribe only to types that exist, so a typo cannot silently never fire. */
export async function assertEventTypesKnown(
  prisma: PrismaClient,
  args: { userId: string; eventTypes: readonly string[]; field?: string },
): Promise<void> {
  const custom = args.eventTypes.filter((name) => !isKnownEverywhere(name));
  if (custom.length === 0) return;
  // Every publish of a custom type runs this: on the driver, not through Prisma's per-query cost.
  const registered = await sqlFor(prisma).query<{ name: string }>(
    `SELECT "name" FROM "EventType" WHERE "userId" = $1 AND "name" = ANY($2::text[])`,
    [args.userId, custom],
    'ricochet_registered_event_types',
  );
  const known = new Set(registered.map((row) => row.name));
  const unknown = custom.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new AppError(
      'invalid-input',
      `Invalid input: ${args.field ?? 'eventTypes'}: unknown event type ${unknown.map((n) => `"${n}"`).join(', ')}. ` +
        "Use one of Apify's types or register your own with POST /v2/event-types.",
    );
  }
}
