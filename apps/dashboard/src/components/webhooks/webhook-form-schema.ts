import { CreateWebhookInputSchema, StaticHeadersSchema, StaticPropertiesSchema } from '@ricochet/schema';
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
 * The create/edit form: the API's own CreateWebhookInputSchema, except that headers and properties
 * are edited as JSON text and the condition as three text fields. Every other rule (URL, event
 * types, template syntax, sizes) is the API's, so the form shows exactly the errors the API would.
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
}).extend({
  actorId: z.string().trim().max(100),
  actorTaskId: z.string().trim().max(100),
  actorRunId: z.string().trim().max(100),
  headersText: jsonObjectText(StaticHeadersSchema),
  propertiesText: jsonObjectText(StaticPropertiesSchema),
});
export type WebhookFormValues = z.input<typeof WebhookFormSchema>;
export type WebhookFormOutput = z.output<typeof WebhookFormSchema>;

/** Form output → the API's create/update input. */
export function toWebhookInput(values: WebhookFormOutput) {
  const { actorId, actorTaskId, actorRunId, headersText, propertiesText, ...rest } = values;
  return {
    ...rest,
    description: rest.description || null,
    payloadTemplate: rest.payloadTemplate || null,
    headersTemplate: rest.headersTemplate || null,
    condition: { actorId: actorId || null, actorTaskId: actorTaskId || null, actorRunId: actorRunId || null },
    headers: headersText as Record<string, string> | null,
    properties: propertiesText as Record<string, unknown> | null,
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
};
