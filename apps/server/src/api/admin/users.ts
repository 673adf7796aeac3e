import { UserAccountSchema } from '@ricochet/schema';
import { z } from 'zod';
import { listUserAccounts } from '../../services/user-accounts.ts';
import { defineOperation } from '../operation.ts';

export const users = defineOperation({
  summary: "The installation's user accounts, with how each signs in",
  access: 'admin',
  procedure: 'query',
  output: z.array(UserAccountSchema),
  run: ({ prisma }) => listUserAccounts(prisma),
});
