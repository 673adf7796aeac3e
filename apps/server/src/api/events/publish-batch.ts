import { PublishEventBatchInputSchema, PublishEventBatchResultSchema } from '@ricochet/schema';
import { limitsFrom } from '../../services/limits.ts';
import { publishEventBatch } from '../../services/publish.ts';
import { defineOperation } from '../operation.ts';

export const publishBatch = defineOperation({
  summary: 'Publish up to 1,000 events in one transaction, all or nothing (userId per event: admins only)',
  access: 'write',
  capability: 'events',
  procedure: 'mutation',
  input: PublishEventBatchInputSchema,
  output: PublishEventBatchResultSchema,
  run: ({ prisma, principal, config, traceparent }, input) =>
    publishEventBatch(prisma, { publisher: principal, input, limits: limitsFrom(config), traceparent }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/events/batch',
      tags: ['Events'],
      body: PublishEventBatchInputSchema,
      status: 201,
      input: ({ body }) => body,
    }),
  ],
});
