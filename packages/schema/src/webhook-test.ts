import { z } from 'zod';
import { DispatchCallSchema } from './dispatch.ts';
import { CreateWebhookInputSchema } from './webhook.ts';

/**
 * Body of `POST /v2/webhook-tests`: a webhook definition that is not saved (yet), in the same shape as
 * `POST /v2/webhooks` takes, so a form can test exactly what it is about to create. eventTypes may be
 * left out; the fields that only matter to a saved webhook (condition, state, idempotencyKey, ...) are
 * accepted and ignored. The definition gets Apify's TEST event, rendered, signed with `secret` when one
 * is given, and sent once, synchronously; nothing is stored.
 */
export const TestWebhookDefinitionInputSchema = CreateWebhookInputSchema.partial({ eventTypes: true }).meta({
  id: 'TestWebhookDefinitionInput',
});
export type TestWebhookDefinitionInput = z.input<typeof TestWebhookDefinitionInputSchema>;

/** What a test of an unsaved definition sent, and the one call's outcome (as a dispatch's call reads). */
export const WebhookTestResultSchema = z
  .object({
    /** Whether the receiver answered 2xx. */
    succeeded: z.boolean(),
    request: z.object({ url: z.string(), headers: z.record(z.string(), z.string()), body: z.string() }),
    call: DispatchCallSchema,
  })
  .meta({ id: 'WebhookTestResult' });
export type WebhookTestResult = z.infer<typeof WebhookTestResultSchema>;
