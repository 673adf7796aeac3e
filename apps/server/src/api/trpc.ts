import { type Capability, ERROR_HTTP_STATUS, type ErrorType } from '@ricochet/schema';
import {
  initTRPC,
  TRPCError,
  type TRPCMutationProcedure,
  type TRPCQueryProcedure,
  type TRPCRouterRecord,
} from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import { type Access, authorize } from '../http/auth.ts';
import { toAppError } from '../http/errors.ts';
import type { HttpExchange } from '../http/session-cookie.ts';
import { AppError, describeZodError } from '../services/errors.ts';
import { assertStorableInput } from '../services/storable-input.ts';
import type { Principal } from '../services/tokens.ts';
import {
  type AnyOperation,
  type Operation,
  type OperationContext,
  type ProcedureKind,
  requiredCapability,
} from './operation.ts';

/** What every procedure sees: the database and who is asking. Built without a request in tests. */
export type TrpcContext = OperationContext<'public'>;

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

/** The error shape every procedure answers with (errorFormatter's). */
type ErrorShape = (typeof t._config.$types)['errorShape'];

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

const publicProcedure = t.procedure.use(mapErrors).use(csrfGuard).use(storableInput);

/** What an operation's caller must be: admins also need the `admin` capability (sessions). */
function procedureBase(operation: AnyOperation) {
  if (operation.access === 'public') return publicProcedure;
  return withAccess(operation.access, requiredCapability(operation));
}

/** The tRPC procedure of an operation: access, its guard, input, output, then the operation. */
function procedureOf(operation: AnyOperation) {
  let builder = procedureBase(operation);
  const { guard } = operation;
  if (guard) {
    builder = builder.use(({ ctx, next }) => {
      guard(ctx.http);
      return next();
    });
  }
  const typed = (operation.input ? builder.input(operation.input) : builder).output(operation.output);
  const resolve = ({ ctx, input }: { ctx: TrpcContext; input: unknown }) => operation.run(ctx, input);
  return operation.procedure === 'query' ? typed.query(resolve) : typed.mutation(resolve);
}

type ProcedureDefinition<Input, Output> = {
  // void, as tRPC types a procedure without .input(): callers may then pass nothing at all.
  // biome-ignore lint/suspicious/noConfusingVoidType: tRPC's own type for "no input".
  input: Input extends z.ZodType ? z.input<Input> : void;
  output: z.output<Output & z.ZodType>;
  meta: object;
  errorShape: ErrorShape;
};

/** The procedure type tRPC would infer for an operation, for the routers' end-to-end typing. */
type ProcedureOf<Op> =
  Op extends Operation<infer Input, infer Output, Access, infer Kind>
    ? Kind extends 'query'
      ? TRPCQueryProcedure<ProcedureDefinition<Input, Output>>
      : TRPCMutationProcedure<ProcedureDefinition<Input, Output>>
    : never;

/** A resource's operations that are procedures (those with no `procedure` are REST only). */
export type ProceduresOf<Operations> = {
  [Name in keyof Operations as Operations[Name] extends { procedure: ProcedureKind }
    ? Name
    : never]: ProcedureOf<Operations[Name]>;
};

/** A resource's tRPC router, from its operations, keyed by the names its index gives them. */
export function routerOf<Operations extends Record<string, AnyOperation>>(operations: Operations) {
  const procedures: TRPCRouterRecord = {};
  for (const [name, operation] of Object.entries(operations)) {
    if (operation.procedure) procedures[name] = procedureOf(operation);
  }
  return router(procedures as ProceduresOf<Operations>);
}
