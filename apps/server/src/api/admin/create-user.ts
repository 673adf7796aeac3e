import { CreateUserAccountInputSchema, UserAccountSchema } from '@ricochet/schema';
import { createUserAccount } from '../../services/user-accounts.ts';
import { defineOperation } from '../operation.ts';

export const createUser = defineOperation({
  summary: 'Create a user account that signs in to the dashboard',
  access: 'admin',
  procedure: 'mutation',
  input: CreateUserAccountInputSchema,
  output: UserAccountSchema,
  run: ({ prisma }, input) => createUserAccount(prisma, { input }),
});
