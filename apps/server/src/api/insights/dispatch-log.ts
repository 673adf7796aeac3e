import { DispatchLogInputSchema, DispatchLogItemSchema, listOf } from '@ricochet/schema';
import { listDispatchLog } from '../../services/delivery-stats.ts';
import { defineOperation } from '../operation.ts';

export const dispatchLog = defineOperation({
  summary: "The dashboard's dispatch log: filtered and paged on the server",
  access: 'read',
  procedure: 'query',
  input: DispatchLogInputSchema,
  output: listOf(DispatchLogItemSchema),
  run: ({ prisma, principal }, query) => listDispatchLog(prisma, { userId: principal.userId, query }),
});
