import { UpdateWebhookInputSchema, WebhookSchema } from '@ricochet/schema';
import { updateWebhook } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const update = defineOperation({
  summary: 'Update webhook (only the fields given change)',
  access: 'write',
  procedure: 'mutation',
  input: WebhookIdInput.extend({ data: UpdateWebhookInputSchema }),
  output: WebhookSchema,
  run: ({ prisma, principal }, { webhookId, data }) =>
    updateWebhook(prisma, { userId: principal.userId, webhookId, input: data }),
  rest: (route) => [
    route({
      method: 'PUT',
      path: '/v2/webhooks/:webhookId',
      tags: ['Webhooks'],
      params: WebhookIdInput,
      body: UpdateWebhookInputSchema,
      status: 200,
      input: ({ params, body }) => ({ webhookId: params.webhookId, data: body }),
    }),
  ],
});
