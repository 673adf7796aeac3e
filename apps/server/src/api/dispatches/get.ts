import { DispatchSchema } from '@ricochet/schema';
import { dispatchWithAllCallsAsJson, getDispatch } from '../../services/dispatches.ts';
import { defineOperation, StreamedJson } from '../operation.ts';
import { DispatchIdInput } from './dispatch-id.ts';

export const get = defineOperation({
  summary: 'Get webhook dispatch with all its calls (streamed: a dispatch redelivered often has thousands)',
  access: 'read',
  procedure: 'query',
  input: DispatchIdInput,
  output: DispatchSchema,
  run: ({ prisma, principal }, { dispatchId }) =>
    getDispatch(prisma, { userId: principal.userId, dispatchId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/webhook-dispatches/:dispatchId',
      tags: ['Webhook dispatches'],
      params: DispatchIdInput,
      status: 200,
      input: ({ params }) => params,
      // The same dispatch, written as it is read: all its calls, however many, in bounded memory.
      answer: async ({ prisma, principal }, { dispatchId }) =>
        new StreamedJson(await dispatchWithAllCallsAsJson(prisma, { userId: principal.userId, dispatchId })),
    }),
  ],
});
