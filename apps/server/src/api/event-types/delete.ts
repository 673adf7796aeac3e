import { EventTypeNameSchema } from '@ricochet/schema';
import { z } from 'zod';
import { deleteEventType } from '../../services/event-types.ts';
import { defineOperation } from '../operation.ts';

const NameInput = z.object({ name: EventTypeNameSchema });

export const remove = defineOperation({
  summary: 'Remove a registered event type',
  access: 'write',
  capability: 'events',
  procedure: 'mutation',
  input: NameInput,
  output: z.null(),
  run: async ({ prisma, principal }, { name }) => {
    await deleteEventType(prisma, { userId: principal.userId, name });
    return null;
  },
  rest: (route) => [
    route({
      method: 'DELETE',
      path: '/v2/event-types/:name',
      tags: ['Event types'],
      params: NameInput,
      status: 204,
      input: ({ params }) => params,
    }),
  ],
});
