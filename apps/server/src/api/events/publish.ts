import { EventSchema, PublishEventInputSchema } from '@ricochet/schema';
import { limitsFrom } from '../../services/limits.ts';
import { publishEventFor } from '../../services/publish.ts';
import { defineOperation } from '../operation.ts';

export const publish = defineOperation({
  summary: 'Publish an event: stored with one dispatch per matching webhook before the answer',
  access: 'write',
  capability: 'events',
  procedure: 'mutation',
  input: PublishEventInputSchema,
  output: EventSchema,
  run: async ({ prisma, principal, config, traceparent }, input) =>
    (await publishEventFor(prisma, { publisher: principal, input, limits: limitsFrom(config), traceparent }))
      .event,
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/events',
      tags: ['Events'],
      body: PublishEventInputSchema,
      status: 201,
      input: ({ body }) => body,
      location: (event) => `/v2/events/${event.id}`,
    }),
  ],
});
