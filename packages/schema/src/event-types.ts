import { z } from 'zod';

/** Apify's event catalogue, built into every installation. */
export const APIFY_EVENT_TYPES = [
  'ACTOR.BUILD.ABORTED',
  'ACTOR.BUILD.CREATED',
  'ACTOR.BUILD.FAILED',
  'ACTOR.BUILD.SUCCEEDED',
  'ACTOR.BUILD.TIMED_OUT',
  'ACTOR.RUN.ABORTED',
  'ACTOR.RUN.CREATED',
  'ACTOR.RUN.FAILED',
  'ACTOR.RUN.RESURRECTED',
  'ACTOR.RUN.SUCCEEDED',
  'ACTOR.RUN.TIMED_OUT',
  'TEST',
] as const;
export type ApifyEventType = (typeof APIFY_EVENT_TYPES)[number];

export function isBuiltInEventType(name: string): name is ApifyEventType {
  return (APIFY_EVENT_TYPES as readonly string[]).includes(name);
}

/**
 * An event type's name: Apify's (`ACTOR.RUN.SUCCEEDED`) or one a user registered
 * (`contact.created`, `sale.changed`). Whether it is known is checked against the user's catalogue.
 */
export const EventTypeNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be letters, digits and . _ : - (e.g. contact.created)')
  .meta({ id: 'EventTypeName', example: 'ACTOR.RUN.SUCCEEDED' });

export const EventTypeSchema = z
  .object({
    name: EventTypeNameSchema,
    description: z.string().nullable(),
    builtIn: z.boolean(),
    createdAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'EventType' });
export type EventType = z.infer<typeof EventTypeSchema>;

export const CreateEventTypeInputSchema = z
  .object({
    name: EventTypeNameSchema,
    description: z.string().max(1000).nullish(),
  })
  .meta({ id: 'CreateEventTypeInput' });
export type CreateEventTypeInput = z.input<typeof CreateEventTypeInputSchema>;
