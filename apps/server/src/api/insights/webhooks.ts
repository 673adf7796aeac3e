import { listOf, WebhookSearchInputSchema, WebhookSummarySchema } from '@ricochet/schema';
import { searchWebhooks } from '../../services/delivery-stats.ts';
import { defineOperation } from '../operation.ts';

export const webhooks = defineOperation({
  summary: "The dashboard's webhook list: searched, filtered and paged on the server, with health",
  access: 'read',
  procedure: 'query',
  input: WebhookSearchInputSchema,
  output: listOf(WebhookSummarySchema),
  run: ({ prisma, principal }, query) => searchWebhooks(prisma, { userId: principal.userId, query }),
});
