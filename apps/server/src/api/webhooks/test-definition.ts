import { SuperOfficeWebhookResultSchema, SuperOfficeWebhookSchema } from '@ricochet/schema';
import { testCallSettingsFrom, testWebhookDefinition } from '../../services/webhook-tests.ts';
import { defineOperation } from '../operation.ts';

/** SuperOffice's Webhook/Test: answers bare `{Success, Message}`, not Apify's `{data}` envelope. */
export const testDefinition = defineOperation({
  summary: "SuperOffice: ping a webhook definition with a 'test' event (nothing is saved)",
  access: 'write',
  procedure: 'mutation',
  input: SuperOfficeWebhookSchema,
  output: SuperOfficeWebhookResultSchema,
  run: ({ sender, principal, config }, definition) =>
    testWebhookDefinition(sender, { userId: principal.userId, definition, ...testCallSettingsFrom(config) }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/api/v1/Webhook/Test',
      tags: ['SuperOffice'],
      body: SuperOfficeWebhookSchema,
      status: 200,
      envelope: false,
      input: ({ body }) => body,
    }),
  ],
});
