import { CreateEventTypeInputSchema, EventTypeSchema } from '@ricochet/schema';
import { createEventType } from '../../services/event-types.ts';
import { defineOperation } from '../operation.ts';

// The team registers the catalogue; a portal customer (no `events` capability) only subscribes to it.
export const create = defineOperation({
  summary: 'Register an event type (e.g. contact.created)',
  access: 'write',
  capability: 'events',
  procedure: 'mutation',
  input: CreateEventTypeInputSchema,
  output: EventTypeSchema,
  run: ({ prisma, principal }, input) => createEventType(prisma, { userId: principal.userId, input }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/event-types',
      tags: ['Event types'],
      body: CreateEventTypeInputSchema,
      status: 201,
      input: ({ body }) => body,
    }),
  ],
});
