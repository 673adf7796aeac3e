import { z } from 'zod';
import { QueueStateSchema } from './dispatch.ts';
import { DispatchStatusSchema, WebhookListItemSchema, WebhookStateSchema } from './webhook.ts';

/** The dashboard's webhook table: search, filters and a page, all applied by the server. */
export const WebhookSearchInputSchema = z.object({
  search: z.string().trim().max(200).optional(),
  state: WebhookStateSchema.optional(),
  eventType: z.string().max(100).optional(),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(100).default(25),
});
export type WebhookSearchInput = z.input<typeof WebhookSearchInputSchema>;

/** A webhook row with its delivery health over the last 24 hours (from the dispatch rows). */
export const WebhookSummarySchema = WebhookListItemSchema.extend({
  last24h: z.object({ succeeded: z.number().int(), failed: z.number().int(), active: z.number().int() }),
  /** Share of finished dispatches that succeeded in the last 24 h; null when none finished. */
  successRate24h: z.number().nullable(),
});
export type WebhookSummary = z.infer<typeof WebhookSummarySchema>;

export const DeliveryHistogramInputSchema = z.object({
  webhookId: z.string().min(1).optional(),
  hours: z
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(24),
});

/** Dispatches per hour by outcome; retrying = still ACTIVE after at least one failed call. */
export const DeliveryHistogramBucketSchema = z.object({
  hour: z.iso.datetime(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  retrying: z.number().int(),
  pending: z.number().int(),
});
export type DeliveryHistogramBucket = z.infer<typeof DeliveryHistogramBucketSchema>;

export const DispatchLogInputSchema = z.object({
  webhookId: z.string().min(1).optional(),
  eventId: z.string().min(1).optional(),
  status: DispatchStatusSchema.optional(),
  eventType: z.string().max(100).optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(100).default(25),
});
export type DispatchLogInput = z.input<typeof DispatchLogInputSchema>;

/** A dispatch as the log lists it: no payload, no call bodies. */
export const DispatchLogItemSchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  requestUrl: z.string(),
  eventId: z.string().nullable(),
  eventType: z.string(),
  status: DispatchStatusSchema,
  attemptCount: z.number().int(),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  nextAttemptAt: z.iso.datetime().nullable(),
  /** Where an ACTIVE dispatch stands in the delivery queue (see QueueStateSchema); null once finished. */
  queueState: QueueStateSchema.nullable(),
  lastResponseStatus: z.number().int().nullable(),
});
export type DispatchLogItem = z.infer<typeof DispatchLogItemSchema>;

export const EventLogItemSchema = z.object({
  id: z.string(),
  eventType: z.string(),
  createdAt: z.iso.datetime(),
  dispatchCount: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  active: z.number().int(),
});
export type EventLogItem = z.infer<typeof EventLogItemSchema>;

export const InstallationOverviewSchema = z.object({
  queueDepth: z.number().int(),
  dueNow: z.number().int(),
  deliveriesPerMinute: z.number(),
  failureRate1h: z.number().nullable(),
  users: z.number().int(),
  webhooks: z.number().int(),
  slowestTargets: z.array(
    z.object({ host: z.string(), calls: z.number().int(), avgMs: z.number(), maxMs: z.number() }),
  ),
  /** History storage: weekly partitions of events, finished dispatches and calls (retention). */
  storage: z.object({
    databaseBytes: z.number(),
    /** The installation's RETENTION_DAYS, and the longest retention in force (what drops go by). */
    retentionDays: z.number().int(),
    longestRetentionDays: z.number().int(),
    oldestPartitionStart: z.iso.datetime().nullable(),
    /** When the oldest week becomes due to be dropped (the hourly maintenance drops it then). */
    nextDropAt: z.iso.datetime().nullable(),
    /** One row per week: rows and bytes (indexes included) of each table's partition. */
    weeks: z.array(
      z.object({
        from: z.iso.datetime(),
        to: z.iso.datetime(),
        events: z.object({ rows: z.number().int(), bytes: z.number() }),
        dispatches: z.object({ rows: z.number().int(), bytes: z.number() }),
        calls: z.object({ rows: z.number().int(), bytes: z.number() }),
      }),
    ),
  }),
});
export type InstallationOverview = z.infer<typeof InstallationOverviewSchema>;

/** What the create/edit form previews: the request a webhook would send for a sample event. */
export const RequestPreviewInputSchema = z.object({
  requestUrl: z.string().max(2048).default(''),
  eventType: z.string().max(100).default('TEST'),
  payloadTemplate: z.string().max(100_000).nullish(),
  headersTemplate: z.string().max(16_000).nullish(),
  shouldInterpolateStrings: z.boolean().default(false),
  headers: z.record(z.string(), z.string()).nullish(),
  properties: z.record(z.string(), z.unknown()).nullish(),
});
export type RequestPreviewInput = z.input<typeof RequestPreviewInputSchema>;

export const RenderedRequestSchema = z.object({
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  /** Set when a template cannot be rendered: the delivery would fail with this message. */
  error: z.string().nullable(),
});
export type RenderedRequest = z.infer<typeof RenderedRequestSchema>;
