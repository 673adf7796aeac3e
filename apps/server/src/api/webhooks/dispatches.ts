import { DispatchListQuerySchema, DispatchSchema, listOf } from '@ricochet/schema';
import { listDispatches } from '../../services/dispatches.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const dispatches = defineOperation({
  summary: "Get list of a webhook's dispatches",
  access: 'read',
  procedure: 'query',
  input: WebhookIdInput.extend({
    query: DispatchListQuerySchema.default({ offset: 0, limit: 1000, desc: false }),
  }),
  output: listOf(DispatchSchema),
  run: ({ prisma, principal }, { webhookId, query }) =>
    listDispatches(prisma, { userId: principal.userId, query, webhookId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/webhooks/:webhookId/dispatches',
      tags: ['Webhook dispatches'],
      params: WebhookIdInput,
      query: DispatchListQuerySchema,
      status: 200,
      input: ({ params, query }) => ({ webhookId: params.webhookId, query }),
    }),
  ],
});
