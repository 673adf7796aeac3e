import { RecordIdSchema } from '@ricochet/schema';
import { z } from 'zod';
import { setUserDisabled } from '../../services/sessions.ts';
import { defineOperation } from '../operation.ts';

export const setDisabled = defineOperation({
  summary: 'Disable a user (their sessions and tokens stop working) or enable them again',
  access: 'admin',
  procedure: 'mutation',
  input: z.object({ userId: RecordIdSchema, disabled: z.boolean() }),
  output: z.null(),
  run: async ({ prisma, principal }, input) => {
    await setUserDisabled(prisma, { ...input, actingUserId: principal.userId });
    return null;
  },
});
