import { z } from 'zod';
import { EventTypeNameSchema } from './event-types.ts';
import { RecordIdSchema } from './ids.ts';
import { PaginationQuerySchema } from './pagination.ts';
import { DispatchStatusSchema, WEBHOOK_ACTION_TYPE, WebhookConditionSchema } from './webhook.ts';

/** Responses are kept up to this many bytes; the rest is cut (the call says so). */
export const RESPONSE_BODY_LIMIT = 10_000;
/**
 * A call's request body is stored up to this many bytes (UTF-8), the rest cut with a marker like a
 * response's. Webhook payloads are rarely near it; it bounds what one dispatch of a huge event costs.
 */
export const STORED_REQUEST_BODY_LIMIT = 65_536;
/**
 * A call's request headers, and its response headers, are stored up to this many bytes (names and
 * values) each: each value is cut at STORED_HEADER_VALUE_LIMIT bytes, and past the total the
 * remaining headers are counted, not kept. (The HTTP client already refuses responses with more
 * header bytes than this; a request can carry more when a headers template interpolates big values.)
 */
export const STORED_HEADERS_LIMIT = 16_384;
export const STORED_HEADER_VALUE_LIMIT = 4_096;

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

const HeadersSchema = z.record(z.string(), z.string());

/**
 * What is known of the request a call sent:
 * - STORED: `requestHeaders` and `requestBody` are what was sent (or what was about to be, when the
 *   call was refused before connecting; `errorMessage` says so).
 * - NOT_BUILT: a template could not be rendered, so nothing was sent (`errorMessage` says why).
 * - NOT_RECORDED: the call is running, or the worker making it stopped before recording it.
 * - PREDATES_STORAGE: recorded by a Ricochet that did not store requests yet; all that can be shown is
 *   the request rendered again from the webhook's current templates.
 */
export const CallRequestStateSchema = z.enum(['STORED', 'NOT_BUILT', 'NOT_RECORDED', 'PREDATES_STORAGE']);
export type CallRequestState = z.infer<typeof CallRequestStateSchema>;

/**
 * A call as the dashboard shows it: Apify's fields plus what Ricochet stores beyond them. Not part
 * of the Apify-compatible REST shape: those lists carry up to 1,000 dispatches with every call, and
 * request bodies and headers would multiply their size for clients that never read them.
 */
export const DispatchCallDetailSchema = DispatchCallSchema.extend({
  attempt: z.number().int(),
  requestState: CallRequestStateSchema,
  /** Where the call went (the webhook's requestUrl at the time). */
  requestUrl: z.string().nullable(),
  /** Header names as sent; the HTTP client adds only host, content-length and connection. */
  requestHeaders: HeadersSchema.nullable(),
  requestBody: z.string().nullable(),
  /** null without a response (or on calls recorded before responses' headers were stored). */
  responseHeaders: HeadersSchema.nullable(),
});
export type DispatchCallDetail = z.infer<typeof DispatchCallDetailSchema>;

/** The webhook a dispatch went to, as Apify summarises it (WebhookDispatchWebhookSummary). */
export const DispatchWebhookSummarySchema = z
  .object({
    actionType: z.literal(WEBHOOK_ACTION_TYPE),
    condition: WebhookConditionSchema,
    requestUrl: z.string(),
    isAdHoc: z.boolean(),
  })
  .meta({ id: 'WebhookDispatchWebhook' });

/**
 * An ACTIVE dispatch's place in the delivery queue: READY (due, waiting for a worker), SCHEDULED
 * (waiting for nextAttemptAt: a retry's backoff or a rate limit's slot), LEASED (its call is
 * running), HOST_WAIT (its host has as many calls in flight as allowed), PACED (waiting for a slot
 * of its webhook's rate limit), HELD (its webhook is not ACTIVE, or its circuit is open).
 */
export const QUEUE_STATES = ['READY', 'SCHEDULED', 'LEASED', 'HOST_WAIT', 'PACED', 'HELD'] as const;
export const QueueStateSchema = z.enum(QUEUE_STATES).meta({ id: 'QueueState' });
export type QueueState = z.infer<typeof QueueStateSchema>;

/**
 * What an answer left out of a dispatch to stay within its bounds (see limits.ts): calls before the
 * latest ones, the calls' response bodies, the event data. Absent when nothing was left out.
 */
export const DISPATCH_OMISSIONS = ['earlierCalls', 'responseBodies', 'eventData'] as const;
export const DispatchAbridgedSchema = z
  .object({
    omitted: z.array(z.enum(DISPATCH_OMISSIONS)),
    /** Where the whole dispatch is, every call included (`GET` it with the same token). */
    detailPath: z.string(),
  })
  .meta({ id: 'WebhookDispatchAbridged' });
export type DispatchAbridged = z.infer<typeof DispatchAbridgedSchema>;

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
    /** Where an ACTIVE dispatch stands in the delivery queue (null once it has finished). */
    queueState: QueueStateSchema.nullable(),
    /** Set when this answer left something out of the dispatch (a list, or a dispatch of many calls). */
    abridged: DispatchAbridgedSchema.optional(),
  })
  .meta({ id: 'WebhookDispatch' });
export type Dispatch = z.infer<typeof DispatchSchema>;

/** A dispatch with its calls in detail: the dashboard's dispatch page, DISPATCH_DETAIL_CALLS at a time. */
export const DispatchDetailSchema = DispatchSchema.extend({ calls: z.array(DispatchCallDetailSchema) });
export type DispatchDetail = z.infer<typeof DispatchDetailSchema>;

/** Calls per page of the dashboard's dispatch page (each carries its request, up to ~100 KB). */
export const DISPATCH_DETAIL_CALLS = 20;

/** Which dispatch, and which of its calls: the latest, or those before attempt `callsBefore`. */
export const DispatchDetailInputSchema = z.object({
  dispatchId: RecordIdSchema,
  callsBefore: z.number().int().min(1).optional(),
});
export type DispatchDetailInput = z.input<typeof DispatchDetailInputSchema>;

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

/**
 * `POST /v2/webhook-dispatches/:dispatchId/retry-now` (tRPC `dispatches.retryNow`): a dispatch
 * waiting on its backoff is attempted now, on its current retry schedule (not a redelivery). The
 * answer is the dispatch (DispatchSchema).
 */
export const RetryDispatchNowInputSchema = z
  .object({ dispatchId: RecordIdSchema })
  .meta({ id: 'RetryDispatchNowInput' });
export type RetryDispatchNowInput = z.input<typeof RetryDispatchNowInputSchema>;
