import { RotateWebhookSecretInputSchema, WebhookSecretsSchema } from '@ricochet/schema';
import { rotateWebhookSecret } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const rotateSecret = defineOperation({
  summary: 'Rotate the signing secret; the old one keeps signing for gracePeriodSeconds',
  access: 'write',
  procedure: 'mutation',
  input: WebhookIdInput.extend({ data: RotateWebhookSecretInputSchema }),
  output: WebhookSecretsSchema,
  run: ({ prisma, principal }, { webhookId, data }) =>
    rotateWebhookSecret(prisma, { userId: principal.userId, webhookId, input: data }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/webhooks/:webhookId/secret/rotate',
      tags: ['Webhooks'],
      params: WebhookIdInput,
      body: RotateWebhookSecretInputSchema,
      status: 200,
      input: ({ params, body }) => ({ webhookId: params.webhookId, data: body }),
    }),
  ],
});
