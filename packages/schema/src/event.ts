import { z } from 'zod';
import { EventTypeNameSchema } from './event-types.ts';

export const EVENT_DATA_LIMIT_BYTES = 256_000;

const JsonObjectSchema = z.record(z.string(), z.unknown());

/** Body of `POST /v2/events`: a product's service publishes something that happened. */
export const PublishEventInputSchema = z
  .object({
    eventType: EventTypeNameSchema,
    eventData: JsonObjectSchema.default({}),
    resource: JsonObjectSchema.nullish(),
    idempotencyKey: z.string().min(1).max(256).nullish(),
  })
  .refine((event) => JSON.stringify([event.eventData, event.resource]).length <= EVENT_DATA_LIMIT_BYTES, {
    message: `eventData and resource must serialize to at most ${EVENT_DATA_LIMIT_BYTES} bytes of JSON`,
  })
  .meta({ id: 'PublishEventInput' });
export type PublishEventInput = z.input<typeof PublishEventInputSchema>;

export const EventSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    eventType: z.string(),
    eventData: JsonObjectSchema,
    resource: JsonObjectSchema.nullable(),
    createdAt: z.iso.datetime(),
    dispatchCount: z.number().int(),
  })
  .meta({ id: 'Event' });
export type Event = z.infer<typeof EventSchema>;
