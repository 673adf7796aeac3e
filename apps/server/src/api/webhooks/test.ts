import { DispatchSchema } from '@ricochet/schema';
import { testWebhook } from '../../services/webhook-tests.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const test = defineOperation({
  summary: 'Test webhook: a dispatch of a TEST event with a dummy payload',
  access: 'write',
  procedure: 'mutation',
  input: WebhookIdInput,
  output: DispatchSchema,
  run: ({ prisma, principal }, { webhookId }) => testWebhook(prisma, { userId: principal.userId, webhookId }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/webhooks/:webhookId/test',
      tags: ['Webhooks'],
      params: WebhookIdInput,
      status: 201,
      input: ({ params }) => params,
    }),
  ],
});
