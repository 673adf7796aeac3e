import { DispatchDetailInputSchema, DispatchDetailSchema } from '@ricochet/schema';
import { getDispatchDetail } from '../../services/dispatches.ts';
import { defineOperation } from '../operation.ts';

export const dispatch = defineOperation({
  summary: "A dispatch with each call's request as sent and its response headers",
  access: 'read',
  procedure: 'query',
  input: DispatchDetailInputSchema,
  output: DispatchDetailSchema,
  run: ({ prisma, principal }, { dispatchId, callsBefore }) =>
    getDispatchDetail(prisma, { userId: principal.userId, dispatchId, callsBefore }),
});
