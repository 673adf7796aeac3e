import { HistoryWindowSchema } from '@ricochet/schema';
import { getHistoryWindow } from '../../services/users.ts';
import { defineOperation } from '../operation.ts';

/** The dashboard says so above its lists. */
export const history = defineOperation({
  summary: "How far back the user's history goes (retention)",
  access: 'read',
  procedure: 'query',
  output: HistoryWindowSchema,
  run: ({ prisma, principal }) => getHistoryWindow(prisma, { userId: principal.userId }),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/users/me/history',
      tags: ['Users'],
      status: 200,
      input: () => undefined,
    }),
  ],
});
