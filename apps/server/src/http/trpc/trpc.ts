import { type Capability, ERROR_HTTP_STATUS, type ErrorType } from '@ricochet/schema';
import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { HttpSender } from '../../delivery/http-sender.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { AppError, describeZodError } from '../../services/errors.ts';
import { assertStorableInput } from '../../services/storable-input.ts';
import type { Principal } from '../../services/tokens.ts';
import { type Access, authorize } from '../auth.ts';
import { toAppError } from '../errors.ts';
import type { HttpExchange } from '../session-cookie.ts';

/** What every procedure sees: the database and who is asking. Built without a request in tests. */
export type TrpcContext = {
  prisma: PrismaClient;
  sender: HttpSender;
  config: Config;
  principal: Principal | null;
  /** The HTTP exchange (cookies, CSRF header); absent when a test calls procedures directly. */
  http?: HttpExchange;
};

/** tRPC's code for each HTTP status of ERROR_HTTP_STATUS, so both transports agree on the status. */
const CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  402: 'PAYMENT_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};
const TYPE_BY_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorType>> = {
  BAD_REQUEST: 'invalid-input',
  PARSE_ERROR: 'invalid-input',
  UNAUTHORIZED: 'token-not-valid',
  FORBIDDEN: 'permission-denied',
  NOT_FOUND: 'record-not-found',
  METHOD_NOT_SUPPORTED: 'method-not-allowed',
  PAYLOAD_TOO_LARGE: 'request-too-large',
  // A Content-Type tRPC does not read (text/plain, form data): a media type, not an encoding.
  UNSUPPORTED_MEDIA_TYPE: 'unsupported-media-type',
  TIMEOUT: 'request-timeout',
  TOO_MANY_REQUESTS: 'rate-limit-exceeded',
  CONFLICT: 'record-not-unique',
  SERVICE_UNAVAILABLE: 'service-unavailable',
};

export function toTrpcError(error: AppError): TRPCError {
  return new TRPCError({
    code: CODE_BY_STATUS[ERROR_HTTP_STATUS[error.type]] ?? 'INTERNAL_SERVER_ERROR',
    message: error.message,
    cause: error,
  });
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    let type: ErrorType = TYPE_BY_CODE[error.code] ?? 'internal-server-error';
    let message = error.message;
    if (error.cause instanceof AppError) type = error.cause.type;
    else if (error.cause instanceof z.ZodError) message = describeZodError(error.cause);
    // Like the REST API, never hand a caller the internals of a failure it cannot fix.
    if (type === 'internal-server-error') message = 'Internal server error. The problem has been logged.';
    const { stack: _stack, ...data } = shape.data;
    // `type` and `message` at the top too, as in the REST envelope's `error`.
    return { ...shape, message, type, data: { ...data, type } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Domain errors (and a database that cannot be reached: 503) become tRPC errors with the
 * matching code, through the same mapping as REST; everything else stays internal.
 */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const known = toAppError(result.error.cause);
    if (known) throw toTrpcError(known);
  }
  return result;
});

/** Strings PostgreSQL cannot store are refused with the field's name before any procedure runs. */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  assertStorableInput(await getRawInput());
  return next();
});

/** A change a browser sent from a page of another origin, refused before anything is done. */
export function refuseCrossOrigin(http: HttpExchange | undefined): void {
  if (http?.crossOrigin) {
    throw toTrpcError(
      new AppError(
        'permission-denied',
        "Cross-origin request refused: changes are accepted only from the dashboard's own pages.",
      ),
    );
  }
}

/**
 * CSRF defences for the dashboard, on every change (mutation) made with a session: it must carry
 * the session's CSRF token in a header (a cross-site page can neither read the token nor send a
 * custom header without a CORS preflight, which this API never grants), and when the session came
 * in the cookie, the browser must say it comes from the dashboard's own origin (Origin, or
 * Sec-Fetch-Site), so a leaked or guessed CSRF token alone is not enough either. On top of
 * SameSite=Lax. Token-authenticated calls need neither: no browser attaches a token by itself.
 */
const csrfGuard = t.middleware(({ ctx, type, next }) => {
  const session = ctx.principal?.session;
  if (type !== 'mutation' || !session) return next();
  if (ctx.http?.sessionFromCookie) refuseCrossOrigin(ctx.http);
  if (ctx.http?.csrfHeader !== session.csrfToken) {
    throw toTrpcError(new AppError('permission-denied', 'Missing or wrong CSRF token; reload the page.'));
  }
  return next();
});

// Who may call is settled before the input is looked at: an unauthenticated call is a 401 whatever it sent.
function withAccess(access: Access, capability?: Capability) {
  return t.procedure
    .use(mapErrors)
    .use(({ ctx, next }) => {
      try {
        const principal = authorize(ctx.principal, access, capability);
        return next({ ctx: { ...ctx, principal: principal as Principal } });
      } catch (error) {
        throw error instanceof AppError ? toTrpcError(error) : error;
      }
    })
    .use(csrfGuard)
    .use(storableInput);
}

export const publicProcedure = t.procedure.use(mapErrors).use(csrfGuard).use(storableInput);
/** Any valid token. */
export const readProcedure = withAccess('read');
/** A FULL-scope token: read-only tokens get FORBIDDEN / permission-denied. */
export const writeProcedure = withAccess('write');
export const adminProcedure = withAccess('admin', 'admin');
/** Procedures behind a capability that portal sessions lack (tokens, publishing). */
export const capabilityProcedure = (access: 'read' | 'write', capability: Capability) =>
  withAccess(access, capability);
