import { CreatedUserSchema, CreateUserInputSchema } from '@ricochet/schema';
import { createUser } from '../../services/users.ts';
import { defineOperation } from '../operation.ts';

export const create = defineOperation({
  summary: 'Create a user and its first token (administrators only)',
  access: 'admin',
  procedure: 'mutation',
  input: CreateUserInputSchema,
  output: CreatedUserSchema,
  run: ({ prisma }, input) => createUser(prisma, { input }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/users',
      tags: ['Users'],
      body: CreateUserInputSchema,
      status: 201,
      input: ({ body }) => body,
    }),
  ],
});
