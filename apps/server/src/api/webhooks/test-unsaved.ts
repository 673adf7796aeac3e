import { TestWebhookDefinitionInputSchema, WebhookTestResultSchema } from '@ricochet/schema';
import { testCallSettingsFrom, testWebhookDefinitionDraft } from '../../services/webhook-tests.ts';
import { defineOperation } from '../operation.ts';

/** The dashboard's "Test" button: an Apify-shaped definition that is not saved. */
export const testUnsaved = defineOperation({
  summary: 'Test an unsaved webhook definition: send it the TEST event once, now; nothing is stored',
  access: 'write',
  procedure: 'mutation',
  input: TestWebhookDefinitionInputSchema,
  output: WebhookTestResultSchema,
  run: ({ sender, principal, config }, definition) =>
    testWebhookDefinitionDraft(sender, {
      userId: principal.userId,
      definition,
      ...testCallSettingsFrom(config),
    }),
  rest: (route) => [
    // Its own collection, not /v2/webhooks/test: a static segment there would shadow a webhook id
    // and turn GET /v2/webhooks/test into a 405 instead of Apify's 404 for an unknown webhook.
    route({
      method: 'POST',
      path: '/v2/webhook-tests',
      tags: ['Webhooks'],
      body: TestWebhookDefinitionInputSchema,
      status: 200,
      input: ({ body }) => body,
    }),
  ],
});
