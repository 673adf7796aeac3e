import { RecordIdSchema, SetRetentionInputSchema, UserSchema } from '@ricochet/schema';
import { z } from 'zod';
import { setUserRetention } from '../../services/users.ts';
import { defineOperation } from '../operation.ts';

const UserIdInput = z.object({ userId: RecordIdSchema });

/** A user's own retention in days (null: the installation's RETENTION_DAYS). */
export const setRetention = defineOperation({
  summary: "Set a user's retention in days, or null for the installation's (administrators only)",
  access: 'admin',
  procedure: 'mutation',
  input: UserIdInput.extend(SetRetentionInputSchema.shape),
  output: UserSchema,
  run: ({ prisma }, { userId, retentionDays }) =>
    setUserRetention(prisma, { userId, input: { retentionDays } }),
  rest: (route) => [
    route({
      method: 'PUT',
      path: '/v2/users/:userId/retention',
      tags: ['Users'],
      params: UserIdInput,
      body: SetRetentionInputSchema,
      status: 200,
      input: ({ params, body }) => ({ userId: params.userId, ...body }),
    }),
  ],
});
