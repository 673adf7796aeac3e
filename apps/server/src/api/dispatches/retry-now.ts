import { DispatchSchema, RetryDispatchNowInputSchema } from '@ricochet/schema';
import { retryDispatchNow } from '../../services/dispatches.ts';
import { defineOperation } from '../operation.ts';
import { DispatchIdInput } from './dispatch-id.ts';

export const retryNow = defineOperation({
  summary: 'Attempt a dispatch that waits on its backoff now (its retry schedule carries on)',
  access: 'write',
  procedure: 'mutation',
  input: RetryDispatchNowInputSchema,
  output: DispatchSchema,
  run: ({ prisma, principal }, { dispatchId }) =>
    retryDispatchNow(prisma, { userId: principal.userId, dispatchId }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/webhook-dispatches/:dispatchId/retry-now',
      tags: ['Webhook dispatches'],
      params: DispatchIdInput,
      status: 200,
      input: ({ params }) => params,
    }),
  ],
});
