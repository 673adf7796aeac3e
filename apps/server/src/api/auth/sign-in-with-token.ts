import { SessionInfoSchema, SignInWithTokenInputSchema } from '@ricochet/schema';
import { signInWithToken as signIn } from '../../services/sessions.ts';
import { defineOperation } from '../operation.ts';
import { signInAttemptOf, signInGuard, startSession } from './sign-in-guard.ts';

export const signInWithToken = defineOperation({
  summary: 'Sign in with an API token (sets the session cookie)',
  access: 'public',
  procedure: 'mutation',
  guard: signInGuard,
  input: SignInWithTokenInputSchema,
  output: SessionInfoSchema,
  run: async (context, { token }) =>
    startSession(context, await signIn(context.prisma, { token, ...signInAttemptOf(context) })),
});
