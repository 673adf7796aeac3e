import { EnsuredUserSchema, EnsureUserInputSchema } from '@ricochet/schema';
import { ensureUserByExternalId } from '../../services/customers.ts';
import { defineOperation } from '../operation.ts';

/** A product team's customer, found by the team's own id (and created the first time). */
export const ensureByExternalId = defineOperation({
  summary: 'Get the user with this externalId, creating it when there is none (administrators only)',
  access: 'admin',
  procedure: 'mutation',
  input: EnsureUserInputSchema,
  output: EnsuredUserSchema,
  run: ({ prisma }, input) => ensureUserByExternalId(prisma, { input }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/users/by-external-id',
      tags: ['Users'],
      body: EnsureUserInputSchema,
      status: 200,
      input: ({ body }) => body,
    }),
  ],
});
