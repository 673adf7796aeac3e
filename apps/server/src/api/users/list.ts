import { UserSchema } from '@ricochet/schema';
import { z } from 'zod';
import { listUsers } from '../../services/users.ts';
import { defineOperation } from '../operation.ts';

export const list = defineOperation({
  summary: 'List users (administrators only)',
  access: 'admin',
  procedure: 'query',
  output: z.array(UserSchema),
  run: ({ prisma }) => listUsers(prisma),
  rest: (route) => [
    route({ method: 'GET', path: '/v2/users', tags: ['Users'], status: 200, input: () => undefined }),
  ],
});
