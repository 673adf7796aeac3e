import { EventSchema, RecordIdSchema } from '@ricochet/schema';
import { z } from 'zod';
import { getEvent } from '../../services/events.ts';
import { defineOperation } from '../operation.ts';

const EventIdInput = z.object({ eventId: RecordIdSchema });

export const get = defineOperation({
  summary: 'Get event',
  access: 'read',
  procedure: 'query',
  input: EventIdInput,
  output: EventSchema,
  run: ({ prisma, principal }, { eventId }) => getEvent(prisma, { userId: principal.userId, eventId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/events/:eventId',
      tags: ['Events'],
      params: EventIdInput,
      status: 200,
      input: ({ params }) => params,
    }),
  ],
});
