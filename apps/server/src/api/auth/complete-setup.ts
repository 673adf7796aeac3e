import { CompleteSetupInputSchema, SessionInfoSchema } from '@ricochet/schema';
import { completeSetup as complete } from '../../services/sessions.ts';
import { defineOperation } from '../operation.ts';
import { signInGuard, startSession } from './sign-in-guard.ts';

export const completeSetup = defineOperation({
  summary: "Set a new account's password from its setup link, and sign in",
  access: 'public',
  procedure: 'mutation',
  guard: signInGuard,
  input: CompleteSetupInputSchema,
  output: SessionInfoSchema,
  run: async (context, input) => startSession(context, await complete(context.prisma, input)),
});
