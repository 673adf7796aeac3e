import { DispatchListQuerySchema, DispatchSchema, listOf } from '@ricochet/schema';
import { listDispatches } from '../../services/dispatches.ts';
import { defineOperation } from '../operation.ts';

export const list = defineOperation({
  summary: 'Get list of webhook dispatches',
  access: 'read',
  procedure: 'query',
  input: DispatchListQuerySchema.default({ offset: 0, limit: 1000, desc: false }),
  output: listOf(DispatchSchema),
  run: ({ prisma, principal }, query) => listDispatches(prisma, { userId: principal.userId, query }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/webhook-dispatches',
      tags: ['Webhook dispatches'],
      query: DispatchListQuerySchema,
      status: 200,
      input: ({ query }) => query,
    }),
  ],
});
