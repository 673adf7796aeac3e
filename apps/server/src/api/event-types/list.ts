import { EventTypeSchema } from '@ricochet/schema';
import { z } from 'zod';
import { listEventTypes } from '../../services/event-types.ts';
import { defineOperation } from '../operation.ts';

export const list = defineOperation({
  summary: "List event types: Apify's catalogue and the user's own",
  access: 'read',
  procedure: 'query',
  output: z.array(EventTypeSchema),
  run: ({ prisma, principal }) => listEventTypes(prisma, { userId: principal.userId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/event-types',
      tags: ['Event types'],
      status: 200,
      input: () => undefined,
    }),
  ],
});
