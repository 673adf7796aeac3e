import type { HttpExchange } from '../../http/session-cookie.ts';
import { AppError } from '../../services/errors.ts';
import type { NewSession } from '../../services/sessions.ts';
import { signInLimitsFrom } from '../../services/sign-in-throttle.ts';
import type { OperationContext } from '../operation.ts';
import { refuseCrossOrigin, toTrpcError } from '../trpc.ts';

/**
 * Signing in has no session yet, so no CSRF token: these mutations demand the CSRF header's
 * presence instead (a cross-site form cannot send a custom header), and, as every change made with
 * the cookie they set, a request from the dashboard's own origin. That stops login CSRF.
 */
export function signInGuard(http: HttpExchange | undefined): void {
  refuseCrossOrigin(http);
  if (http && !http.csrfHeader) throw toTrpcError(new AppError('permission-denied', 'Missing CSRF header.'));
}

/** Who is signing in, as the sign-in limits count them (by account and by client address). */
export function signInAttemptOf(context: OperationContext<'public'>) {
  return { clientAddress: context.http?.clientAddress, limits: signInLimitsFrom(context.config) };
}

/** Sets the new session's cookie and answers who is now signed in. */
export function startSession(context: OperationContext<'public'>, session: NewSession) {
  context.http?.setSessionCookie(session.token, session.expiresAt);
  return session.info;
}
