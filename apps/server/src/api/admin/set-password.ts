import { SetPasswordInputSchema } from '@ricochet/schema';
import { z } from 'zod';
import { setPassword as set } from '../../services/sessions.ts';
import { defineOperation } from '../operation.ts';

export const setPassword = defineOperation({
  summary: "Set a user's dashboard password",
  access: 'admin',
  procedure: 'mutation',
  input: SetPasswordInputSchema,
  output: z.null(),
  run: async ({ prisma }, input) => {
    await set(prisma, input);
    return null;
  },
});
