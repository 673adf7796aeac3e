import { z } from 'zod';
import { EventTypeNameSchema } from './event-types.ts';
import { PaginationQuerySchema } from './pagination.ts';
import { DispatchStatusSchema, WEBHOOK_ACTION_TYPE, WebhookConditionSchema } from './webhook.ts';

/** Responses are kept up to this many characters; the rest is cut (the call says so). */
export const RESPONSE_BODY_LIMIT = 10_000;

/** One HTTP attempt of a dispatch. */
export const DispatchCallSchema = z
  .object({
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    errorMessage: z.string().nullable(),
    responseStatus: z.number().int().nullable(),
    responseBody: z.string().nullable(),
  })
  .meta({ id: 'WebhookDispatchCall' });
export type DispatchCall = z.infer<typeof DispatchCallSchema>;

/** The webhook a dispatch went to, as Apify summarises it (WebhookDispatchWebhookSummary). */
export const DispatchWebhookSummarySchema = z
  .object({
    actionType: z.literal(WEBHOOK_ACTION_TYPE),
    condition: WebhookConditionSchema,
    requestUrl: z.string(),
    isAdHoc: z.boolean(),
  })
  .meta({ id: 'WebhookDispatchWebhook' });

/** A webhook dispatch: one event delivered (or being delivered) to one webhook, with its calls. */
export const DispatchSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    webhookId: z.string(),
    createdAt: z.iso.datetime(),
    status: DispatchStatusSchema,
    eventType: z.string(),
    eventData: z.record(z.string(), z.unknown()).nullable(),
    webhook: DispatchWebhookSummarySchema,
    calls: z.array(DispatchCallSchema),
    attemptCount: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WebhookDispatch' });
export type Dispatch = z.infer<typeof DispatchSchema>;

export const DispatchListQuerySchema = PaginationQuerySchema.extend({
  status: DispatchStatusSchema.optional(),
  eventType: EventTypeNameSchema.optional(),
});
export type DispatchListQuery = z.output<typeof DispatchListQuerySchema>;
export type DispatchListQueryInput = z.input<typeof DispatchListQuerySchema>;

/** Redeliver a webhook's FAILED dispatches created in a time window. */
export const BulkRedeliverInputSchema = z
  .object({
    since: z.iso.datetime(),
    until: z.iso.datetime().optional(),
  })
  .meta({ id: 'BulkRedeliverInput' });
export type BulkRedeliverInput = z.input<typeof BulkRedeliverInputSchema>;

export const BulkRedeliverResultSchema = z
  .object({ redelivered: z.number().int(), dispatchIds: z.array(z.string()) })
  .meta({ id: 'BulkRedeliverResult' });
export type BulkRedeliverResult = z.infer<typeof BulkRedeliverResultSchema>;
