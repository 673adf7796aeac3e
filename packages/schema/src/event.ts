import { z } from 'zod';
import { EventTypeNameSchema } from './event-types.ts';
import { RecordIdSchema } from './ids.ts';

export const EVENT_DATA_LIMIT_BYTES = 256_000;

export const JsonObjectSchema = z.record(z.string(), z.unknown());

const fitsEventDataLimit = (event: { eventData: unknown; resource?: unknown }) =>
  JSON.stringify([event.eventData, event.resource]).length <= EVENT_DATA_LIMIT_BYTES;
const eventDataLimitMessage = `eventData and resource must serialize to at most ${EVENT_DATA_LIMIT_BYTES} bytes of JSON`;

const EventFieldsSchema = z.object({
  eventType: EventTypeNameSchema,
  eventData: JsonObjectSchema.default({}),
  resource: JsonObjectSchema.nullish(),
  idempotencyKey: z.string().min(1).max(256).nullish(),
});

/**
 * Body of `POST /v2/events`: a product's service publishes something that happened. `userId` names
 * the user (the customer) the event is for: only an admin token may name another user than its own.
 */
export const PublishEventInputSchema = EventFieldsSchema.extend({ userId: RecordIdSchema.optional() })
  .refine(fitsEventDataLimit, { message: eventDataLimitMessage })
  .meta({ id: 'PublishEventInput' });
export type PublishEventInput = z.input<typeof PublishEventInputSchema>;

export const MAX_EVENT_BATCH_SIZE = 1000;

/** Body of `POST /v2/events/batch`: up to 1,000 events, stored all together or not at all. */
export const PublishEventBatchInputSchema = z
  .object({ events: z.array(PublishEventInputSchema).min(1).max(MAX_EVENT_BATCH_SIZE) })
  .refine(
    (batch) => {
      const keys = batch.events
        .filter((event) => event.idempotencyKey)
        .map((event) => `${event.userId ?? ''}\u0000${event.idempotencyKey}`);
      return new Set(keys).size === keys.length;
    },
    { message: 'two events of the batch have the same idempotencyKey', path: ['events'] },
  )
  .meta({ id: 'PublishEventBatchInput' });
export type PublishEventBatchInput = z.input<typeof PublishEventBatchInputSchema>;

/**
 * Body of `POST /v2/events/broadcast` (admins only): one event for every user with an active webhook
 * subscribed to the type; each of that user's matching webhooks gets one dispatch. A repeat with the
 * same idempotencyKey creates nothing for the users who already have it.
 */
export const BroadcastEventInputSchema = EventFieldsSchema.refine(fitsEventDataLimit, {
  message: eventDataLimitMessage,
}).meta({ id: 'BroadcastEventInput' });
export type BroadcastEventInput = z.input<typeof BroadcastEventInputSchema>;

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

/** What a batch stored: its events in the order given (a repeated idempotencyKey gives the first event). */
export const PublishEventBatchResultSchema = z
  .object({ events: z.array(EventSchema), createdCount: z.number().int() })
  .meta({ id: 'PublishEventBatchResult' });
export type PublishEventBatchResult = z.infer<typeof PublishEventBatchResultSchema>;

/** What a broadcast stored: one event per subscribed user that did not have it yet. */
export const BroadcastEventResultSchema = z
  .object({ events: z.array(EventSchema), dispatchCount: z.number().int() })
  .meta({ id: 'BroadcastEventResult' });
export type BroadcastEventResult = z.infer<typeof BroadcastEventResultSchema>;
