import { listOf, PaginationQuerySchema, RecordIdSchema, WebhookListItemSchema } from '@ricochet/schema';
import { z } from 'zod';
import { listWebhooks } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';

export const list = defineOperation({
  summary: 'Get list of webhooks (ordered by createdAt)',
  access: 'read',
  procedure: 'query',
  input: PaginationQuerySchema.extend({
    actorId: RecordIdSchema.optional(),
    actorTaskId: RecordIdSchema.optional(),
  }).default({ offset: 0, limit: 1000, desc: false }),
  output: listOf(WebhookListItemSchema),
  run: ({ prisma, principal }, { actorId, actorTaskId, ...page }) =>
    listWebhooks(prisma, {
      userId: principal.userId,
      page,
      filter: { ...(actorId && { actorId }), ...(actorTaskId && { actorTaskId }) },
    }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/webhooks',
      tags: ['Webhooks'],
      query: PaginationQuerySchema,
      status: 200,
      input: ({ query }) => query,
    }),
    // `/v2/acts/...` is the path Apify documents (and its Python client calls); `/v2/actors/...` is
    // the form apify-client for JavaScript uses. Both answer the same.
    ...['/v2/acts/:actorId/webhooks', '/v2/actors/:actorId/webhooks'].map((path) =>
      route({
        method: 'GET',
        path,
        summary: "Get list of an actor's webhooks (condition.actorId)",
        tags: ['Webhooks'],
        params: z.object({ actorId: RecordIdSchema }),
        query: PaginationQuerySchema,
        status: 200,
        input: ({ params, query }) => ({ ...query, actorId: params.actorId }),
      }),
    ),
  ],
});
