import { BulkRedeliverInputSchema, BulkRedeliverResultSchema } from '@ricochet/schema';
import { redeliverFailedDispatches } from '../../services/dispatches.ts';
import { limitsFrom } from '../../services/limits.ts';
import { defineOperation } from '../operation.ts';
import { WebhookIdInput } from './webhook-id.ts';

export const redeliverFailed = defineOperation({
  summary: "Redeliver the webhook's FAILED dispatches created in a time window",
  access: 'write',
  procedure: 'mutation',
  input: WebhookIdInput.extend({ data: BulkRedeliverInputSchema }),
  output: BulkRedeliverResultSchema,
  run: ({ prisma, principal, config }, { webhookId, data }) =>
    redeliverFailedDispatches(prisma, {
      userId: principal.userId,
      webhookId,
      input: data,
      limits: limitsFrom(config),
    }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/webhooks/:webhookId/dispatches/redeliver',
      tags: ['Webhook dispatches'],
      params: WebhookIdInput,
      body: BulkRedeliverInputSchema,
      status: 200,
      input: ({ params, body }) => ({ webhookId: params.webhookId, data: body }),
    }),
  ],
});
