import { DispatchSchema } from '@ricochet/schema';
import { redeliverDispatch } from '../../services/dispatches.ts';
import { defineOperation } from '../operation.ts';
import { DispatchIdInput } from './dispatch-id.ts';

export const redeliver = defineOperation({
  summary: 'Redeliver a finished dispatch (a fresh retry schedule; its calls so far are kept)',
  access: 'write',
  procedure: 'mutation',
  input: DispatchIdInput,
  output: DispatchSchema,
  run: ({ prisma, principal }, { dispatchId }) =>
    redeliverDispatch(prisma, { userId: principal.userId, dispatchId }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/webhook-dispatches/:dispatchId/redeliver',
      tags: ['Webhook dispatches'],
      params: DispatchIdInput,
      status: 200,
      input: ({ params }) => params,
    }),
  ],
});
