import { listOf, PaginationQuerySchema, RecordIdSchema, WebhookSchema } from '@ricochet/schema';
import { z } from 'zod';
import { listFullWebhooks } from '../../services/webhooks.ts';
import { defineOperation } from '../operation.ts';

/** REST only: Apify documents whole webhooks here, where its other lists have list items. */
export const listForActorTask = defineOperation({
  summary: "Get list of a task's webhooks (condition.actorTaskId), whole webhooks as Apify documents",
  access: 'read',
  procedure: undefined,
  input: PaginationQuerySchema.extend({ actorTaskId: RecordIdSchema }),
  output: listOf(WebhookSchema),
  run: ({ prisma, principal }, { actorTaskId, ...page }) =>
    listFullWebhooks(prisma, { userId: principal.userId, page, filter: { actorTaskId } }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/actor-tasks/:actorTaskId/webhooks',
      tags: ['Webhooks'],
      params: z.object({ actorTaskId: RecordIdSchema }),
      query: PaginationQuerySchema,
      status: 200,
      input: ({ params, query }) => ({ ...query, actorTaskId: params.actorTaskId }),
    }),
  ],
});
