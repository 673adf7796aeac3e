import { CreateApiTokenInputSchema, CreatedApiTokenSchema } from '@ricochet/schema';
import { createApiToken } from '../../services/tokens.ts';
import { defineOperation } from '../operation.ts';

export const create = defineOperation({
  summary: 'Create an API token; its value is returned this once',
  access: 'write',
  capability: 'tokens',
  procedure: 'mutation',
  input: CreateApiTokenInputSchema,
  output: CreatedApiTokenSchema,
  run: ({ prisma, principal }, { name, scope }) =>
    createApiToken(prisma, { userId: principal.userId, name, scope }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/users/me/tokens',
      tags: ['Tokens'],
      body: CreateApiTokenInputSchema,
      status: 201,
      input: ({ body }) => body,
    }),
  ],
});
