import { CreatePortalSessionInputSchema, PortalSessionSchema, RecordIdSchema } from '@ricochet/schema';
import { z } from 'zod';
import { createPortalSession as createSession } from '../../services/portal-sessions.ts';
import { defineOperation } from '../operation.ts';

const UserIdInput = z.object({ userId: RecordIdSchema });

export const createPortalSession = defineOperation({
  summary: 'A single-use link that opens the customer portal for the user (administrators only)',
  access: 'admin',
  procedure: 'mutation',
  input: UserIdInput.extend({ data: CreatePortalSessionInputSchema }),
  output: PortalSessionSchema,
  run: ({ prisma, config }, { userId, data }) =>
    createSession(prisma, { userId, input: data, dashboardUrl: config.RICOCHET_DASHBOARD_URL }),
  rest: (route) => [
    route({
      method: 'POST',
      path: '/v2/users/:userId/portal-sessions',
      tags: ['Portal'],
      params: UserIdInput,
      body: CreatePortalSessionInputSchema,
      status: 201,
      input: ({ params, body }) => ({ userId: params.userId, data: body }),
    }),
  ],
});
