import { UserSchema } from '@ricochet/schema';
import { getUser } from '../../services/users.ts';
import { defineOperation } from '../operation.ts';

export const me = defineOperation({
  summary: 'Get the user of the token',
  access: 'read',
  procedure: 'query',
  output: UserSchema,
  run: ({ prisma, principal }) => getUser(prisma, { userId: principal.userId }),
  rest: (route) => [
    route({ method: 'GET', path: '/v2/users/me', tags: ['Users'], status: 200, input: () => undefined }),
  ],
});
