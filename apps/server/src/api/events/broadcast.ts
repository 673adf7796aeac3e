import { BroadcastEventInputSchema, BroadcastEventResultSchema } from '@ricochet/schema';
import { limitsFrom } from '../../services/limits.ts';
import { broadcastEvent } from '../../services/publish.ts';
import { defineOperation } from '../operation.ts';

export const broadcast = defineOperation({
  summary: 'Publish an event to every user subscribed to its type (administrators only)',
  access: 'admin',
  procedure: 'mutation',
  input: BroadcastEventInputSchema,
  output: BroadcastEventResultSchema,
  run: ({ prisma, config, traceparent }, input) =>
    broadcastEvent(prisma, { input, limits: limitsFrom(config), traceparent }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/events/broadcast',
      tags: ['Events'],
      body: BroadcastEventInputSchema,
      status: 201,
      input: ({ body }) => body,
    }),
  ],
});
