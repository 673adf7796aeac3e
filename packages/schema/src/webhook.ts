import { z } from 'zod';
import { EventTypeNameSchema } from './event-types.ts';
import { parseHeadersTemplate, parseTemplate } from './template.ts';
import { AlertEmailAddressSchema } from './user.ts';

export const WEBHOOK_LIMITS = {
  requestUrl: 2048,
  eventTypes: 100,
  conditionValue: 100,
  payloadTemplate: 100_000,
  headersTemplate: 16_000,
  description: 2000,
  idempotencyKey: 256,
  headers: 50,
  headerValue: 4096,
  propertiesBytes: 64_000,
  secret: 256,
  /** rateLimitPerSecond: at least one call a second, at most 10,000. */
  rateLimitPerSecond: 10_000,
} as const;

export const WEBHOOK_STATES = ['ACTIVE', 'STOPPED', 'TOO_MANY_ERRORS'] as const;
export const WebhookStateSchema = z.enum(WEBHOOK_STATES).meta({ id: 'WebhookState' });
export type WebhookState = z.infer<typeof WebhookStateSchema>;

/** A person can only switch a webhook on or off; TOO_MANY_ERRORS is set by the delivery engine. */
const SettableWebhookStateSchema = z.enum(['ACTIVE', 'STOPPED']);

// Apify's WebhookCondition allows "" as well as null; both mean "not part of the condition".
const conditionValue = z.string().max(WEBHOOK_LIMITS.conditionValue).nullish();
export const WebhookConditionInputSchema = z
  .object({ actorId: conditionValue, actorTaskId: conditionValue, actorRunId: conditionValue })
  .meta({ id: 'WebhookConditionInput' });

/**
 * As Apify shows it, every field present; null ones are not part of the condition. An event
 * matches when each field that is set equals eventData's field of the same name.
 */
export const WebhookConditionSchema = z
  .object({
    actorId: z.string().nullable(),
    actorTaskId: z.string().nullable(),
    actorRunId: z.string().nullable(),
  })
  .meta({ id: 'WebhookCondition' });
export type WebhookCondition = z.infer<typeof WebhookConditionSchema>;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export const RequestUrlSchema = z
  .string()
  .trim()
  .max(WEBHOOK_LIMITS.requestUrl)
  .refine(isHttpUrl, 'must be an absolute http:// or https:// URL');

function templateSchema(maxLength: number, parse: (source: string) => unknown) {
  return z
    .string()
    .max(maxLength)
    .nullish()
    .superRefine((source, ctx) => {
      if (!source) return;
      try {
        parse(source);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    });
}
export const PayloadTemplateSchema = templateSchema(WEBHOOK_LIMITS.payloadTemplate, parseTemplate);
export const HeadersTemplateSchema = templateSchema(WEBHOOK_LIMITS.headersTemplate, parseHeadersTemplate);

/** RFC 9110 token characters; a header name outside them would make the HTTP client throw. */
const HeaderNameSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be a valid HTTP header name');
export const StaticHeadersSchema = z
  .record(HeaderNameSchema, z.string().max(WEBHOOK_LIMITS.headerValue))
  .refine((headers) => Object.keys(headers).length <= WEBHOOK_LIMITS.headers, {
    message: `at most ${WEBHOOK_LIMITS.headers} headers`,
  });
export const StaticPropertiesSchema = z
  .record(z.string().max(200), z.unknown())
  .refine((properties) => JSON.stringify(properties).length <= WEBHOOK_LIMITS.propertiesBytes, {
    message: `must serialize to at most ${WEBHOOK_LIMITS.propertiesBytes} bytes of JSON`,
  });

/**
 * A signing secret: `whsec_` + base64 (Standard Webhooks), or any other string of 8+ characters
 * (SuperOffice lets people pick theirs; its UTF-8 bytes are then the HMAC key).
 */
export const WebhookSecretSchema = z.string().min(8).max(WEBHOOK_LIMITS.secret);
/** Any secret at all, as SuperOffice's Webhook/Test takes it (nothing is stored). */
export const AnyWebhookSecretSchema = z.string().max(WEBHOOK_LIMITS.secret);

const optionalFlag = z.boolean().nullish();

const EventTypesInputSchema = z.array(EventTypeNameSchema).max(WEBHOOK_LIMITS.eventTypes);

/**
 * Body of `POST /v2/webhooks`: every input Apify's WebhookCreate accepts, with its meaning, plus
 * Ricochet's own fields (state, headers, properties, secret). An empty eventTypes list is accepted as
 * Apify's schema does; such a webhook matches no event until it is given some.
 */
export const CreateWebhookInputSchema = z
  .object({
    isAdHoc: optionalFlag,
    eventTypes: EventTypesInputSchema,
    condition: WebhookConditionInputSchema.nullish(),
    // "" is no key at all, as null is.
    idempotencyKey: z.string().max(WEBHOOK_LIMITS.idempotencyKey).nullish(),
    ignoreSslErrors: optionalFlag,
    doNotRetry: optionalFlag,
    requestUrl: RequestUrlSchema,
    payloadTemplate: PayloadTemplateSchema,
    headersTemplate: HeadersTemplateSchema,
    description: z.string().max(WEBHOOK_LIMITS.description).nullish(),
    shouldInterpolateStrings: optionalFlag,
    state: SettableWebhookStateSchema.nullish(),
    headers: StaticHeadersSchema.nullish(),
    properties: StaticPropertiesSchema.nullish(),
    secret: WebhookSecretSchema.nullish(),
    /**
     * At most this many calls to the webhook start per second, across every worker (as Svix's and
     * Convoy's endpoint rate limits); null or absent: no limit. Calls are spaced 1/rate apart.
     */
    rateLimitPerSecond: z
      .number()
      .int('must be a whole number of calls per second')
      .min(1, 'must be at least 1 call per second')
      .max(
        WEBHOOK_LIMITS.rateLimitPerSecond,
        `must be at most ${WEBHOOK_LIMITS.rateLimitPerSecond.toLocaleString('en-US')} calls per second`,
      )
      .nullish(),
    /**
     * SuperOffice's ErrorsEmail: an address also told by e-mail when this webhook is failing or
     * disabled (besides its user's alertEmail); null or absent: none.
     */
    errorsEmail: AlertEmailAddressSchema.nullish(),
    /**
     * Whether calls carry the W3C `traceparent` of their attempt's span, so the receiver's own
     * tracing joins the trace (only while the installation exports traces). Default true.
     */
    propagateTraceContext: optionalFlag,
  })
  .meta({ id: 'CreateWebhookInput' });
export type CreateWebhookInput = z.input<typeof CreateWebhookInputSchema>;
export type CreateWebhookData = z.output<typeof CreateWebhookInputSchema>;

/**
 * Body of `PUT /v2/webhooks/:webhookId` (Apify's WebhookUpdate, every field nullable): a partial
 * update. An optional field set to null goes back to its default; null for a field every webhook
 * needs (eventTypes, requestUrl) leaves it as it is.
 */
export const UpdateWebhookInputSchema = CreateWebhookInputSchema.omit({ idempotencyKey: true, secret: true })
  .extend({ eventTypes: EventTypesInputSchema.nullish(), requestUrl: RequestUrlSchema.nullish() })
  .partial()
  .meta({ id: 'UpdateWebhookInput' });
export type UpdateWebhookInput = z.input<typeof UpdateWebhookInputSchema>;
export type UpdateWebhookData = z.output<typeof UpdateWebhookInputSchema>;

export const DISPATCH_STATUSES = ['ACTIVE', 'SUCCEEDED', 'FAILED'] as const;
export const DispatchStatusSchema = z.enum(DISPATCH_STATUSES).meta({ id: 'WebhookDispatchStatus' });
export type DispatchStatus = z.infer<typeof DispatchStatusSchema>;

/** Apify's ExampleWebhookDispatch; removedAt: when it left its user's history window (retention), else null. */
export const WebhookLastDispatchSchema = z
  .object({
    status: DispatchStatusSchema,
    finishedAt: z.iso.datetime().nullable(),
    removedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WebhookLastDispatch' });

/** Apify's webhook action types; Ricochet's webhooks all send HTTP requests. */
export const WEBHOOK_ACTION_TYPE = 'HTTP_REQUEST';

export const CIRCUIT_STATES = ['CLOSED', 'OPEN'] as const;
/** An open circuit's `callsWithoutResponse` counts back this many calls at most. */
export const CIRCUIT_CALLS_COUNTED = 1000;

/**
 * The webhook's circuit: CLOSED normally. After a run of calls that got no response (connection
 * refused, timeouts) it is OPEN: its dispatches wait (they are not sent and lose no retry) and one
 * probe goes at nextProbeAt; a probe that gets any response closes it and the waiting dispatches
 * go out, one that does not waits twice as long for the next probe (up to an hour).
 */
export const WebhookCircuitSchema = z
  .object({
    state: z.enum(CIRCUIT_STATES),
    openedAt: z.iso.datetime().nullable(),
    nextProbeAt: z.iso.datetime().nullable(),
    /** Probes in a row that got no response since it opened. */
    failedProbes: z.number().int(),
    /** Why it opened, or why the last probe failed. */
    lastError: z.string().nullable(),
    /**
     * While OPEN: the webhook's latest calls in a row that got no response (the run that opened it,
     * the failed probes since, test calls), counted back up to CIRCUIT_CALLS_COUNTED; null while CLOSED.
     */
    callsWithoutResponse: z.number().int().nullable(),
  })
  .meta({ id: 'WebhookCircuit' });
export type WebhookCircuit = z.infer<typeof WebhookCircuitSchema>;

export const WebhookStatsSchema = z
  .object({ totalDispatches: z.number().int() })
  .meta({ id: 'WebhookStats' });

/**
 * A webhook as a list shows it: Apify's WebhookShort (isApifyIntegration is always false here;
 * isEnabled says whether it is ACTIVE), plus state and description.
 */
export const WebhookListItemSchema = z
  .object({
    id: z.string(),
    createdAt: z.iso.datetime(),
    modifiedAt: z.iso.datetime(),
    userId: z.string(),
    isAdHoc: z.boolean(),
    isApifyIntegration: z.boolean(),
    isEnabled: z.boolean(),
    actionType: z.literal(WEBHOOK_ACTION_TYPE),
    shouldInterpolateStrings: z.boolean(),
    eventTypes: z.array(z.string()),
    condition: WebhookConditionSchema,
    ignoreSslErrors: z.boolean(),
    doNotRetry: z.boolean(),
    requestUrl: z.string(),
    description: z.string().nullable(),
    state: WebhookStateSchema,
    lastDispatch: WebhookLastDispatchSchema.nullable(),
    stats: WebhookStatsSchema,
    rateLimitPerSecond: z.number().int().nullable(),
    circuit: WebhookCircuitSchema,
  })
  .meta({ id: 'WebhookListItem' });
export type WebhookListItem = z.infer<typeof WebhookListItemSchema>;

/** A whole webhook. The signing secret is never part of it (see the secret endpoint). */
export const WebhookSchema = WebhookListItemSchema.extend({
  payloadTemplate: z.string().nullable(),
  headersTemplate: z.string().nullable(),
  headers: z.record(z.string(), z.string()).nullable(),
  properties: z.record(z.string(), z.unknown()).nullable(),
  errorsEmail: z.string().nullable(),
  propagateTraceContext: z.boolean(),
}).meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof WebhookSchema>;

export const WebhookSecretsSchema = z
  .object({
    secrets: z.array(
      z.object({ secret: z.string(), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime().nullable() }),
    ),
  })
  .meta({ id: 'WebhookSecrets' });
export type WebhookSecrets = z.infer<typeof WebhookSecretsSchema>;

export const RotateWebhookSecretInputSchema = z
  .object({
    secret: WebhookSecretSchema.nullish(),
    /** How long the old secret keeps signing, in seconds (default one day, at most a week). */
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(24 * 3600),
  })
  .meta({ id: 'RotateWebhookSecretInput' });
export type RotateWebhookSecretInput = z.input<typeof RotateWebhookSecretInputSchema>;
