import type {} from '@fastify/cookie';
import { type Capability, SESSION_COOKIE, SESSION_HEADER } from '@ricochet/schema';
import type { FastifyRequest } from 'fastify';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { AppError } from '../services/errors.ts';
import { authenticateSession } from '../services/sessions.ts';
import { authenticateToken, type Principal } from '../services/tokens.ts';

/** What a route requires: nothing, any valid token, a token that may write, or an admin's token. */
export type Access = 'public' | 'read' | 'write' | 'admin';

/**
 * Who is asking, and how they proved it. A session that came in the cookie is the one a browser
 * attaches by itself, so only it needs the cross-origin check (see csrf.ts).
 */
export type Authentication = {
  principal: Principal | null;
  by: 'token' | 'session-header' | 'session-cookie' | null;
};

/** The token of a request: `Authorization: Bearer <token>` or, as Apify also allows, `?token=<token>`. */
function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? header.trim();
  }
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === 'string' && query.token !== '' ? query.token : undefined;
}

/**
 * The principal of a request's token; null without a token or with an unknown or revoked one.
 * The dashboard's session cookie counts only on /trpc (where mutations demand its CSRF token);
 * the REST API stays token-only, so no cookie can make a cross-site REST call act for anyone.
 * A portal session may come in the SESSION_HEADER instead of the cookie: a third-party iframe gets
 * no SameSite=Lax cookie, and a custom header cannot be sent cross-site, so it needs no CSRF defence.
 */
export async function authenticate(prisma: PrismaClient, request: FastifyRequest): Promise<Authentication> {
  const token = tokenOf(request);
  if (token) return { principal: await authenticateToken(prisma, token), by: 'token' };
  if (!request.url.startsWith('/trpc/')) return { principal: null, by: null };
  const sessionHeader = request.headers[SESSION_HEADER];
  if (typeof sessionHeader === 'string' && sessionHeader !== '') {
    return { principal: await authenticateSession(prisma, sessionHeader), by: 'session-header' };
  }
  const sessionCookie = request.cookies?.[SESSION_COOKIE];
  if (sessionCookie) {
    return { principal: await authenticateSession(prisma, sessionCookie), by: 'session-cookie' };
  }
  return { principal: null, by: null };
}

/** Checks a principal against what an action needs; the one rule both transports follow. */
export function authorize(
  principal: Principal | null,
  access: Access,
  capability?: Capability,
): Principal | null {
  if (access === 'public') return principal;
  if (!principal)
    throw new AppError('token-not-valid', 'Authentication token is not valid or was not provided.');
  if (access !== 'read' && principal.scope !== 'FULL') {
    throw new AppError('permission-denied', 'This token is read-only; it cannot perform this action.');
  }
  if (access === 'admin' && !principal.isAdmin) {
    throw new AppError('permission-denied', 'Only an administrator can perform this action.');
  }
  if (capability && !principal.capabilities.includes(capability)) {
    throw new AppError('permission-denied', 'This session cannot perform this action.');
  }
  return principal;
}
