import { WebhookSecretsSchema } from '@ricochet/schema';
import { getWebhookSecrets } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

// `write`: the secrets sign on the customer's behalf, so a read-only token may not see them.
export const secrets = defineOperation({
  summary: "The webhook's live signing secrets (newest first)",
  access: 'write',
  procedure: 'query',
  input: WebhookIdInput,
  output: WebhookSecretsSchema,
  run: ({ prisma, principal }, { webhookId }) =>
    getWebhookSecrets(prisma, { userId: principal.userId, webhookId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/webhooks/:webhookId/secret',
      tags: ['Webhooks'],
      params: WebhookIdInput,
      status: 200,
      input: ({ params }) => params,
    }),
  ],
});
