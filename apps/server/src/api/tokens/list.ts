import { ApiTokenSchema } from '@ricochet/schema';
import { z } from 'zod';
import { listApiTokens } from '../../services/tokens.ts';
import { defineOperation } from '../operation.ts';

// Portal sessions lack the `tokens` capability: a customer in the portal cannot see or mint API tokens.
export const list = defineOperation({
  summary: "List the user's API tokens (never their values)",
  access: 'read',
  capability: 'tokens',
  procedure: 'query',
  output: z.array(ApiTokenSchema),
  run: ({ prisma, principal }) => listApiTokens(prisma, { userId: principal.userId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/users/me/tokens',
      tags: ['Tokens'],
      status: 200,
      input: () => undefined,
    }),
  ],
});
