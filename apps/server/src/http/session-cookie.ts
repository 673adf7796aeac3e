// Brings @fastify/cookie's request.cookies / reply.setCookie types wherever this file is compiled.
import type {} from '@fastify/cookie';
import { SESSION_COOKIE } from '@ricochet/schema';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What a tRPC procedure may do with the HTTP exchange: set or clear the session cookie, read the CSRF header. */
export type HttpExchange = {
  csrfHeader: string | undefined;
  setSessionCookie(token: string, expiresAt: Date): void;
  clearSessionCookie(): void;
};

/**
 * httpOnly (no script reads it), SameSite=Lax (not sent on cross-site subrequests or POSTs),
 * Secure when the browser reached us (or the dashboard proxy) over HTTPS.
 */
export function sessionCookieJar(
  request: FastifyRequest,
  reply: FastifyReply,
  csrfHeader: string | string[] | undefined,
): HttpExchange {
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  const options = { path: '/', httpOnly: true, sameSite: 'lax', secure } as const;
  return {
    csrfHeader: typeof csrfHeader === 'string' ? csrfHeader : undefined,
    setSessionCookie: (token, expiresAt) =>
      reply.setCookie(SESSION_COOKIE, token, { ...options, expires: expiresAt }),
    clearSessionCookie: () => reply.clearCookie(SESSION_COOKIE, options),
  };
}
