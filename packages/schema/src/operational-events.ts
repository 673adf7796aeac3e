import { z } from 'zod';

/**
 * Operational events: what Ricochet itself says about a user's webhooks and dispatches (as Svix's
 * `endpoint.disabled` / `message.attempt.exhausted`, Convoy's meta events). They are event types
 * in a namespace of their own, published by Ricochet to the user they are about; a user subscribes
 * to them with an ordinary webhook and receives them signed and retried like any other event. No
 * one else may publish them, and none is emitted about the delivery of one (a webhook that fails
 * to take operational events is disabled like any other, silently), so they never recurse.
 */
export const OPERATIONAL_EVENT_PREFIX = 'ricochet.';

export const OPERATIONAL_EVENT_TYPES = [
  'ricochet.webhook.created',
  'ricochet.webhook.updated',
  'ricochet.webhook.deleted',
  'ricochet.webhook.disabled',
  'ricochet.webhook.enabled',
  'ricochet.webhook.failing',
  'ricochet.webhook.recovered',
  'ricochet.webhook.secret_rotated',
  'ricochet.dispatch.exhausted',
  'ricochet.retention.dropped',
] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export function isOperationalEventType(name: string): name is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(name);
}

/** Whether a name is in the operational namespace (reserved: no one registers or publishes it). */
export function isReservedEventTypeName(name: string): boolean {
  return name.toLowerCase().startsWith(OPERATIONAL_EVENT_PREFIX);
}

const iso = z.iso.datetime();

/** The webhook an operational event is about, as it is when the event is emitted. */
const WebhookRefSchema = z.object({
  webhookId: z.string(),
  userId: z.string(),
  requestUrl: z.string(),
  state: z.enum(['ACTIVE', 'STOPPED', 'TOO_MANY_ERRORS']),
  description: z.string().nullable(),
});

/** Each operational event's eventData, by type. */
export const OperationalEventDataSchemas = {
  'ricochet.webhook.created': WebhookRefSchema.extend({ eventTypes: z.array(z.string()) }),
  'ricochet.webhook.updated': WebhookRefSchema.extend({
    /** The fields the update changed (the input's names). */
    changed: z.array(z.string()),
  }),
  'ricochet.webhook.deleted': WebhookRefSchema,
  'ricochet.webhook.disabled': WebhookRefSchema.extend({
    /**
     * TOO_MANY_ERRORS: its latest `failedDispatches` dispatches all FAILED (the webhook is set
     * TOO_MANY_ERRORS); GONE: the receiver answered 410 Gone (the webhook is set STOPPED).
     */
    reason: z.enum(['TOO_MANY_ERRORS', 'GONE']),
    failedDispatches: z.number().int().nullable(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
  }),
  'ricochet.webhook.enabled': WebhookRefSchema.extend({
    previousState: z.enum(['STOPPED', 'TOO_MANY_ERRORS']),
  }),
  'ricochet.webhook.failing': WebhookRefSchema.extend({
    /**
     * NO_RESPONSE: calls in a row got no response (its circuit opened; its dispatches wait for a
     * probe); FAILED_DISPATCHES: dispatches in a row FAILED, fewer than the threshold that disables.
     */
    reason: z.enum(['NO_RESPONSE', 'FAILED_DISPATCHES']),
    /** How many in a row. */
    failures: z.number().int(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
  }),
  'ricochet.webhook.recovered': WebhookRefSchema.extend({ failingSince: iso }),
  'ricochet.webhook.secret_rotated': WebhookRefSchema.extend({
    /** Until when the previous secret still signs (beside the new one); null: it stopped at once. */
    previousSecretExpiresAt: iso.nullable(),
  }),
  'ricochet.dispatch.exhausted': z.object({
    dispatchId: z.string(),
    webhookId: z.string(),
    userId: z.string(),
    requestUrl: z.string(),
    eventId: z.string().nullable(),
    eventType: z.string(),
    attempts: z.number().int(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
  }),
  'ricochet.retention.dropped': z.object({
    /** History wholly older than this is gone (the longest retention any user has, back from then). */
    droppedBefore: iso,
    retentionDays: z.number().int(),
    /** The week partitions dropped: which history table, and the week each held. */
    partitions: z.array(z.object({ table: z.string(), name: z.string(), from: iso, to: iso })),
  }),
} satisfies Record<OperationalEventType, z.ZodType>;

export type OperationalEventData<Type extends OperationalEventType> = z.infer<
  (typeof OperationalEventDataSchemas)[Type]
>;

const webhookExample = {
  webhookId: 'Xh6n7xQ3rDzLwKp2a',
  userId: 'wRsJZtadYvn4mBZmm',
  requestUrl: 'https://example.com/hooks/ricochet',
  state: 'ACTIVE' as const,
  description: 'Orders to the warehouse',
};

/** What each operational event means, with a sample eventData (the catalogue shows both). */
export const OPERATIONAL_EVENT_TYPE_DOCS: {
  [Type in OperationalEventType]: { description: string; exampleData: OperationalEventData<Type> };
} = {
  'ricochet.webhook.created': {
    description: 'A webhook was created.',
    exampleData: { ...webhookExample, eventTypes: ['ACTOR.RUN.SUCCEEDED'] },
  },
  'ricochet.webhook.updated': {
    description: 'A webhook was changed; `changed` names the fields.',
    exampleData: { ...webhookExample, changed: ['requestUrl', 'eventTypes'] },
  },
  'ricochet.webhook.deleted': {
    description: 'A webhook was deleted, with its queued dispatches.',
    exampleData: webhookExample,
  },
  'ricochet.webhook.disabled': {
    description:
      'Ricochet stopped a webhook: its latest dispatches all failed (TOO_MANY_ERRORS), or its receiver answered 410 Gone (STOPPED). Nothing is sent to it until it is switched on again.',
    exampleData: {
      ...webhookExample,
      state: 'TOO_MANY_ERRORS',
      reason: 'TOO_MANY_ERRORS',
      failedDispatches: 10,
      lastResponseStatus: 503,
      lastError: 'Request failed with status code 503',
    },
  },
  'ricochet.webhook.enabled': {
    description: 'A stopped or disabled webhook was switched on again.',
    exampleData: { ...webhookExample, previousState: 'TOO_MANY_ERRORS' },
  },
  'ricochet.webhook.failing': {
    description:
      'A webhook is failing: calls in a row got no response (its dispatches wait for a probe), or dispatches in a row failed, still fewer than the number that disables it.',
    exampleData: {
      ...webhookExample,
      reason: 'NO_RESPONSE',
      failures: 5,
      lastResponseStatus: null,
      lastError: 'connect ECONNREFUSED 203.0.113.7:443',
    },
  },
  'ricochet.webhook.recovered': {
    description: 'A failing webhook delivered again.',
    exampleData: { ...webhookExample, failingSince: '2026-12-01T09:12:44.000Z' },
  },
  'ricochet.webhook.secret_rotated': {
    description: "A webhook's signing secret was rotated.",
    exampleData: { ...webhookExample, previousSecretExpiresAt: '2026-12-02T09:12:44.000Z' },
  },
  'ricochet.dispatch.exhausted': {
    description: 'A dispatch failed its last attempt: no retry is left (FAILED).',
    exampleData: {
      dispatchId: 'Yq2m8vN4sEaMxLr3b',
      webhookId: webhookExample.webhookId,
      userId: webhookExample.userId,
      requestUrl: webhookExample.requestUrl,
      eventId: 'Zr3n9wP5tFbNyMs4c',
      eventType: 'ACTOR.RUN.SUCCEEDED',
      attempts: 9,
      lastResponseStatus: 500,
      lastError: 'Request failed with status code 500',
    },
  },
  'ricochet.retention.dropped': {
    description:
      "Retention dropped old history: whole weeks of events, finished dispatches and calls past every user's retention. Sent to the installation's operators (admins) only.",
    exampleData: {
      droppedBefore: '2026-11-02T00:00:00.000Z',
      retentionDays: 30,
      partitions: [
        {
          table: 'Event',
          name: 'Event_w20261026',
          from: '2026-10-26T00:00:00.000Z',
          to: '2026-11-02T00:00:00.000Z',
        },
      ],
    },
  },
};

/** How many of a webhook's latest notifications are kept (and shown). */
export const NOTIFICATIONS_PER_WEBHOOK = 100;

/** The operational events a webhook's page shows: every `ricochet.webhook.*` one but its deletion. */
export const WEBHOOK_NOTIFICATION_TYPES = OPERATIONAL_EVENT_TYPES.filter(
  (type) => type.startsWith('ricochet.webhook.') && type !== 'ricochet.webhook.deleted',
);

/** One of a webhook's recent changes: an operational event about it, whoever subscribed to it. */
export const WebhookNotificationSchema = z
  .object({
    id: z.string(),
    eventType: z.enum(OPERATIONAL_EVENT_TYPES),
    createdAt: iso,
    eventData: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'WebhookNotification' });
export type WebhookNotification = z.infer<typeof WebhookNotificationSchema>;

export const WebhookNotificationsSchema = z
  .object({ items: z.array(WebhookNotificationSchema) })
  .meta({ id: 'WebhookNotifications' });
export type WebhookNotifications = z.infer<typeof WebhookNotificationsSchema>;

export const WebhookNotificationsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(NOTIFICATIONS_PER_WEBHOOK).default(20),
});
