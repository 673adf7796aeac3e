import {
  CompleteSetupInputSchema,
  SessionInfoSchema,
  SignInInputSchema,
  SignInWithTokenInputSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import { AppError } from '../../services/errors.ts';
import {
  completeSetup,
  describeSetupLink,
  type NewSession,
  signInWithPassword,
  signInWithToken,
  signOut,
} from '../../services/sessions.ts';
import { signInLimitsFrom } from '../../services/sign-in-throttle.ts';
import { portalAuthProcedures } from './customers-router.ts';
import { publicProcedure, refuseCrossOrigin, router, type TrpcContext, toTrpcError } from './trpc.ts';

/**
 * Signing in has no session yet, so no CSRF token: these mutations demand the CSRF header's
 * presence instead (a cross-site form cannot send a custom header), and, as every change made with
 * the cookie they set, a request from the dashboard's own origin. That stops login CSRF.
 */
const signInProcedure = publicProcedure.use(({ ctx, next }) => {
  refuseCrossOrigin(ctx.http);
  if (ctx.http && !ctx.http.csrfHeader) {
    throw toTrpcError(new AppError('permission-denied', 'Missing CSRF header.'));
  }
  return next();
});

function startSession(ctx: TrpcContext, session: NewSession) {
  ctx.http?.setSessionCookie(session.token, session.expiresAt);
  return session.info;
}

export const authRouter = router({
  ...portalAuthProcedures,
  /** Who is signed in, or null. */
  session: publicProcedure
    .output(SessionInfoSchema.nullable())
    .query(({ ctx }) => ctx.principal?.session?.info ?? null),
  signIn: signInProcedure
    .input(SignInInputSchema)
    .output(SessionInfoSchema)
    .mutation(async ({ ctx, input }) =>
      startSession(
        ctx,
        await signInWithPassword(ctx.prisma, {
          input,
          clientAddress: ctx.http?.clientAddress,
          limits: signInLimitsFrom(ctx.config),
        }),
      ),
    ),
  signInWithToken: signInProcedure
    .input(SignInWithTokenInputSchema)
    .output(SessionInfoSchema)
    .mutation(async ({ ctx, input }) =>
      startSession(
        ctx,
        await signInWithToken(ctx.prisma, {
          token: input.token,
          clientAddress: ctx.http?.clientAddress,
          limits: signInLimitsFrom(ctx.config),
        }),
      ),
    ),
  setupLink: publicProcedure
    .input(z.object({ token: z.string().min(1).max(200) }))
    .output(z.object({ username: z.string() }))
    .query(({ ctx, input }) => describeSetupLink(ctx.prisma, input)),
  completeSetup: signInProcedure
    .input(CompleteSetupInputSchema)
    .output(SessionInfoSchema)
    .mutation(async ({ ctx, input }) => startSession(ctx, await completeSetup(ctx.prisma, input))),
  signOut: publicProcedure.output(z.null()).mutation(async ({ ctx }) => {
    const session = ctx.principal?.session;
    if (session) await signOut(ctx.prisma, { sessionId: session.id });
    ctx.http?.clearSessionCookie();
    return null;
  }),
});
