import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_HTTP_STATUS, type ErrorEnvelope, type ErrorType, toSuperOfficeError } from '@ricochet/schema';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../services/errors.ts';

/** A body that does not parse as JSON, whichever parser met it. */
export function invalidJsonBody(detail: string): AppError {
  return new AppError('invalid-input', `Invalid input: the request body is not valid JSON (${detail}).`);
}

/** Fastify's own failures while reading a request, as the API's error types. */
const FASTIFY_ERRORS: Record<string, { type: ErrorType; message: (error: FastifyError) => string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    type: 'request-too-large',
    message: () => 'The request body is too large.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    type: 'invalid-input',
    message: (error) => invalidJsonBody(error.message).message,
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    type: 'invalid-input',
    message: () => 'Invalid input: the request body does not match its Content-Length.',
  },
  // Bodies are read as JSON whatever their label, but a label that is not a media type at all
  // (`;;;===`) is refused by Fastify before any parser runs.
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    type: 'invalid-input',
    message: () => 'Invalid input: the Content-Type header is not a valid media type.',
  },
  FST_ERR_BAD_URL: {
    type: 'invalid-input',
    message: () => 'Invalid input: the URL path is not valid percent-encoded UTF-8.',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    type: 'request-uri-too-long',
    message: () => 'A path parameter is longer than any ID (500 characters at most).',
  },
};

/** zlib reports corrupt compressed bodies with codes like Z_DATA_ERROR or ERR__ERROR_FORMAT_PADDING_1. */
function isDecompressionError(error: { code?: unknown; errno?: unknown }): boolean {
  return typeof error.code === 'string' && typeof error.errno === 'number' && /^(Z_|ERR_)/.test(error.code);
}

/** How long a client should wait before retrying while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// Prisma's codes for "cannot reach / lost / timed out waiting for" the database or a transaction.
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
// The driver adapter's kinds for the same, and PostgreSQL's SQLSTATEs for a server shutting down,
// starting up or out of connections (class 08 is "connection exception").
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);
// pg's own messages for a dropped connection and an exhausted pool (connectionTimeoutMillis).
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Can't reach database server/i;

/**
 * Whether an error means "the database cannot be had right now" (a restart, an outage, a full
 * pool, a transaction that could not start in time): the client may retry, so it is a 503 with
 * Retry-After rather than a 500. Looks through Prisma's wrapping and the error's causes.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const candidate = current as {
      code?: unknown;
      kind?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: { cause?: unknown } };
    };
    if (typeof candidate.code === 'string') {
      if (UNAVAILABLE_PRISMA_CODES.has(candidate.code)) return true;
      if (UNAVAILABLE_SQLSTATE.test(candidate.code)) return true;
      if (UNAVAILABLE_SOCKET_CODES.has(candidate.code)) return true;
    }
    if (typeof candidate.kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(candidate.kind)) return true;
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.test(candidate.message)) return true;
    const adapterCause = candidate.meta?.driverAdapterError?.cause;
    if (adapterCause && isDatabaseUnavailable(adapterCause)) return true;
    current = candidate.cause;
  }
  return false;
}

export function databaseUnavailable(): AppError {
  return new AppError(
    'service-unavailable',
    'The database is unavailable right now; retry after the number of seconds in Retry-After.',
    { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
  );
}

/** Errors that are not our bug, as the AppError a client sees; undefined for anything else. */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  const known = fastifyError?.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
  if (known) return new AppError(known.type, known.message(fastifyError));
  if (fastifyError && isDecompressionError(fastifyError)) {
    return new AppError('invalid-input', 'Invalid input: the request body could not be decompressed.');
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  return undefined;
}

export type ErrorAnswer = { status: number; envelope: ErrorEnvelope; headers: Record<string, string> };

/** The status, envelope and headers of an error type and message. */
export function errorAnswer(
  type: ErrorType,
  message: string,
  headers: Record<string, string> = {},
): ErrorAnswer {
  return { status: ERROR_HTTP_STATUS[type], envelope: { error: { type, message } }, headers };
}

/**
 * Whether the client went away while its request was still arriving: Node then fails the body's
 * stream with `aborted` (code ECONNRESET). That is the client's doing, not a database outage, and
 * nobody is left to answer.
 */
export function isClientAbort(error: unknown, request?: FastifyRequest): boolean {
  const candidate = error as { code?: unknown; message?: unknown } | null;
  if (candidate?.code === 'ECONNRESET' && candidate.message === 'aborted') return true;
  return request?.raw.aborted === true || request?.raw.socket?.destroyed === true;
}

/** Any error thrown while answering a request, as the status, envelope and headers to send. */
export function toErrorAnswer(error: unknown, log?: FastifyRequest['log']): ErrorAnswer {
  const known = toAppError(error);
  if (known) {
    const headers: Record<string, string> = {};
    if (known.extra.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(known.extra.retryAfterSeconds);
    if (known.extra.allowedMethods) headers.allow = known.extra.allowedMethods.join(', ');
    if (known.type === 'service-unavailable') log?.warn({ err: error }, 'database unavailable');
    return errorAnswer(known.type, known.message, headers);
  }
  // Anything else is our bug: log it whole, answer without internals.
  log?.error({ err: error }, 'unhandled error');
  return errorAnswer('internal-server-error', 'Internal server error. The problem has been logged.');
}

/** SuperOffice's paths answer errors in SuperOffice's shape; every other path in Apify's. */
const SUPEROFFICE_PREFIX = /^\/api\/v1(\/|$|\?)/i;

export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (isClientAbort(error, reply.request)) {
    reply.log.debug({ err: error }, 'client closed the connection before its request was complete');
    // Nothing can reach the client; closing the socket is all that is left.
    reply.request.raw.socket?.destroy();
    return reply.hijack();
  }
  const { status, envelope, headers } = toErrorAnswer(error, reply.log);
  const body = SUPEROFFICE_PREFIX.test(reply.request.url) ? toSuperOfficeError(envelope) : envelope;
  return reply.code(status).headers(headers).send(body);
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (headers or URL too large,
 * a malformed request line, a request that never finished arriving). The answer goes straight to
 * the socket, still in the envelope; as Node itself does, the connection is then closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, envelope } =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? errorAnswer('request-header-fields-too-large', 'The request headers (or its URL) are too large.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errorAnswer('request-timeout', 'The request (its headers and body) did not arrive in time.')
        : errorAnswer('invalid-input', 'Invalid input: the request is not valid HTTP.');
  const body = JSON.stringify(envelope);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
