import { CreateWebhookInputSchema, WebhookSchema } from '@ricochet/schema';
import { limitsFrom } from '../../services/limits.ts';
import { createWebhook } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';

export const create = defineOperation({
  summary: 'Create webhook (a repeat with the same idempotencyKey returns the first one)',
  access: 'write',
  procedure: 'mutation',
  input: CreateWebhookInputSchema,
  output: WebhookSchema,
  run: async ({ prisma, principal, config }, input) =>
    (await createWebhook(prisma, { userId: principal.userId, input, limits: limitsFrom(config) })).webhook,
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/webhooks',
      tags: ['Webhooks'],
      body: CreateWebhookInputSchema,
      status: 201,
      input: ({ body }) => body,
      location: (webhook) => `/v2/webhooks/${webhook.id}`,
    }),
  ],
});
