import {
  AlertEmailAddressSchema,
  CreateWebhookInputSchema,
  StaticHeadersSchema,
  StaticPropertiesSchema,
  type Webhook,
} from '@ricochet/schema';
import { z } from 'zod';

/** A JSON object typed into a textarea, checked by the same schema the API uses for that field. */
function jsonObjectText<Schema extends z.ZodType>(schema: Schema) {
  return z
    .string()
    .transform((text, ctx) => {
      if (text.trim() === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"X-Team": "billing"}' });
        return z.NEVER;
      }
    })
    .pipe(schema.nullable());
}

/**
 * A rate limit typed into a text box: empty is no limit (null, which also lifts one on an update);
 * anything else must be a number, and the API's own rule (whole, 1 to 10,000) decides the rest.
 */
const rateLimitText = z
  .string()
  .trim()
  .transform((text, ctx) => {
    if (text === '') return null;
    const value = Number(text);
    if (Number.isNaN(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a number of calls per second, e.g. 10' });
      return z.NEVER;
    }
    return value;
  })
  .pipe(CreateWebhookInputSchema.shape.rateLimitPerSecond.unwrap());

/** The errors e-mail typed into a text box: empty is none (null, which also clears one on an update). */
const errorsEmailText = z
  .string()
  .trim()
  .transform((text) => (text === '' ? null : text))
  .pipe(AlertEmailAddressSchema.nullable());

/**
 * The create/edit form: the API's own CreateWebhookInputSchema, except that headers and properties
 * are edited as JSON text, the condition as three text fields and the rate limit as text. Every other rule (URL, event
 * type names, template syntax, sizes) is the API's, so the form shows exactly the errors the API would.
 */
export const WebhookFormSchema = CreateWebhookInputSchema.pick({
  requestUrl: true,
  eventTypes: true,
  description: true,
  doNotRetry: true,
  ignoreSslErrors: true,
  shouldInterpolateStrings: true,
  payloadTemplate: true,
  headersTemplate: true,
  secret: true,
  propagateTraceContext: true,
}).extend({
  // The API takes a webhook with no event types (Apify does; it matches nothing). In the form that is
  // always a mistake, so the form asks for one.
  eventTypes: CreateWebhookInputSchema.shape.eventTypes.min(1, 'must list at least one event type'),
  actorId: z.string().trim().max(100),
  actorTaskId: z.string().trim().max(100),
  actorRunId: z.string().trim().max(100),
  headersText: jsonObjectText(StaticHeadersSchema),
  propertiesText: jsonObjectText(StaticPropertiesSchema),
  rateLimitText,
  errorsEmailText,
});
export type WebhookFormValues = z.input<typeof WebhookFormSchema>;
export type WebhookFormOutput = z.output<typeof WebhookFormSchema>;

/**
 * A signing secret made in the browser for a new webhook (Standard Webhooks' `whsec_` + base64 of 24
 * random bytes, as the API makes them): shown in the form, used by "Test before saving", and saved
 * with the webhook, so the test is signed with the very secret the receiver will verify.
 */
export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/** A saved webhook → the form's values (the way back is toWebhookInput, below). */
export function formValuesOf(webhook: Webhook): WebhookFormValues {
  return {
    requestUrl: webhook.requestUrl,
    eventTypes: webhook.eventTypes,
    description: webhook.description ?? '',
    doNotRetry: webhook.doNotRetry,
    ignoreSslErrors: webhook.ignoreSslErrors,
    shouldInterpolateStrings: webhook.shouldInterpolateStrings,
    payloadTemplate: webhook.payloadTemplate ?? '',
    headersTemplate: webhook.headersTemplate ?? '',
    actorId: webhook.condition.actorId ?? '',
    actorTaskId: webhook.condition.actorTaskId ?? '',
    actorRunId: webhook.condition.actorRunId ?? '',
    headersText: webhook.headers ? JSON.stringify(webhook.headers, null, 2) : '',
    propertiesText: webhook.properties ? JSON.stringify(webhook.properties, null, 2) : '',
    rateLimitText: webhook.rateLimitPerSecond === null ? '' : String(webhook.rateLimitPerSecond),
    errorsEmailText: webhook.errorsEmail ?? '',
    propagateTraceContext: webhook.propagateTraceContext,
  };
}

/** Form output → the API's create/update input (a saved webhook's secrets change by rotation only). */
export function toWebhookInput(values: WebhookFormOutput) {
  const {
    actorId,
    actorTaskId,
    actorRunId,
    headersText,
    propertiesText,
    secret: _secret,
    rateLimitText,
    errorsEmailText,
    ...rest
  } = values;
  return {
    ...rest,
    description: rest.description || null,
    payloadTemplate: rest.payloadTemplate || null,
    headersTemplate: rest.headersTemplate || null,
    condition: { actorId: actorId || null, actorTaskId: actorTaskId || null, actorRunId: actorRunId || null },
    headers: headersText as Record<string, string> | null,
    properties: propertiesText as Record<string, unknown> | null,
    // Always sent: an emptied field lifts the webhook's limit.
    rateLimitPerSecond: rateLimitText ?? null,
    errorsEmail: errorsEmailText,
    propagateTraceContext: rest.propagateTraceContext ?? true,
  };
}

export const EMPTY_WEBHOOK_FORM: WebhookFormValues = {
  requestUrl: '',
  eventTypes: [],
  description: '',
  doNotRetry: false,
  ignoreSslErrors: false,
  shouldInterpolateStrings: false,
  payloadTemplate: '',
  headersTemplate: '',
  actorId: '',
  actorTaskId: '',
  actorRunId: '',
  headersText: '',
  propertiesText: '',
  secret: '',
  rateLimitText: '',
  errorsEmailText: '',
  propagateTraceContext: true,
};
