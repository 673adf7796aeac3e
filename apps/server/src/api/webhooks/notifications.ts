import { WebhookNotificationsQuerySchema, WebhookNotificationsSchema } from '@ricochet/schema';
import { listWebhookNotifications } from '../../services/operational-events.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const notifications = defineOperation({
  summary:
    "A webhook's recent changes: the operational events about it (failing, disabled, recovered, ...), newest first",
  access: 'read',
  procedure: 'query',
  input: WebhookIdInput.extend({ query: WebhookNotificationsQuerySchema.default({ limit: 20 }) }),
  output: WebhookNotificationsSchema,
  run: ({ prisma, principal }, { webhookId, query }) =>
    listWebhookNotifications(prisma, { userId: principal.userId, webhookId, limit: query.limit }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/webhooks/:webhookId/notifications',
      tags: ['Webhooks'],
      params: WebhookIdInput,
      query: WebhookNotificationsQuerySchema,
      status: 200,
      input: ({ params, query }) => ({ webhookId: params.webhookId, query }),
    }),
  ],
});
