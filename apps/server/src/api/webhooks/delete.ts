import { z } from 'zod';
import { deleteWebhook } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const remove = defineOperation({
  summary: 'Delete webhook',
  access: 'write',
  procedure: 'mutation',
  input: WebhookIdInput,
  output: z.null(),
  run: async ({ prisma, principal }, { webhookId }) => {
    await deleteWebhook(prisma, { userId: principal.userId, webhookId });
    return null;
  },
  rest: (route) => [
    route({
      method: 'DELETE',
      path: '/v2/webhooks/:webhookId',
      tags: ['Webhooks'],
      params: WebhookIdInput,
      status: 204,
      input: ({ params }) => params,
    }),
  ],
});
