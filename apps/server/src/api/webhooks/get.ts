import { WebhookSchema } from '@ricochet/schema';
import { getWebhook } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const get = defineOperation({
  summary: 'Get webhook',
  access: 'read',
  procedure: 'query',
  input: WebhookIdInput,
  output: WebhookSchema,
  run: ({ prisma, principal }, { webhookId }) => getWebhook(prisma, { userId: principal.userId, webhookId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/webhooks/:webhookId',
      tags: ['Webhooks'],
      params: WebhookIdInput,
      status: 200,
      input: ({ params }) => params,
    }),
  ],
});
