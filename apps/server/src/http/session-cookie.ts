// Brings @fastify/cookie's request.cookies / reply.setCookie types wherever this file is compiled.
import type {} from '@fastify/cookie';
import { SESSION_COOKIE } from '@ricochet/schema';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * What a tRPC procedure may know of the HTTP exchange and do with it: read the CSRF defences' inputs,
 * set or clear the session cookie.
 */
export type HttpExchange = {
  csrfHeader: string | undefined;
  /** The session came in the cookie (a browser attaches it by itself), not in a header. */
  sessionFromCookie: boolean;
  /** A browser sent the request from a page of another origin (see isCrossOrigin). */
  crossOrigin: boolean;
  /** The client's address (X-Forwarded-For only from a TRUST_PROXY peer): sign-in limits count by it. */
  clientAddress: string;
  setSessionCookie(token: string, expiresAt: Date): void;
  clearSessionCookie(): void;
};

/**
 * httpOnly (no script reads it), SameSite=Lax (not sent on cross-site subrequests or POSTs),
 * Secure when the browser reached us (or the dashboard proxy) over HTTPS.
 */
export function httpExchange(
  request: FastifyRequest,
  reply: FastifyReply,
  csrf: { header: string | string[] | undefined; sessionFromCookie: boolean; crossOrigin: boolean },
): HttpExchange {
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  const options = { path: '/', httpOnly: true, sameSite: 'lax', secure } as const;
  return {
    csrfHeader: typeof csrf.header === 'string' ? csrf.header : undefined,
    sessionFromCookie: csrf.sessionFromCookie,
    crossOrigin: csrf.crossOrigin,
    clientAddress: request.ip,
    setSessionCookie: (token, expiresAt) =>
      reply.setCookie(SESSION_COOKIE, token, { ...options, expires: expiresAt }),
    clearSessionCookie: () => reply.clearCookie(SESSION_COOKIE, options),
  };
}
