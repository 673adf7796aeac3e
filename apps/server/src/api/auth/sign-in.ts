import { SessionInfoSchema, SignInInputSchema } from '@ricochet/schema';
import { signInWithPassword } from '../../services/sessions.ts';
import { defineOperation } from '../operation.ts';
import { signInAttemptOf, signInGuard, startSession } from './sign-in-guard.ts';

export const signIn = defineOperation({
  summary: 'Sign in with a username and password (sets the session cookie)',
  access: 'public',
  procedure: 'mutation',
  guard: signInGuard,
  input: SignInInputSchema,
  output: SessionInfoSchema,
  run: async (context, input) =>
    startSession(context, await signInWithPassword(context.prisma, { input, ...signInAttemptOf(context) })),
});
