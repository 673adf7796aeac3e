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
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    type: 'invalid-input',
    message: () => 'Invalid input: the request body is empty; send a JSON object.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    type: 'invalid-input',
    message: () => 'Invalid input: the request body does not match its Content-Length.',
  },
};

/** zlib reports corrupt compressed bodies with codes like Z_DATA_ERROR or ERR__ERROR_FORMAT_PADDING_1. */
function isDecompressionError(error: { code?: unknown; errno?: unknown }): boolean {
  return typeof error.code === 'string' && typeof error.errno === 'number' && /^(Z_|ERR_)/.test(error.code);
}

export type ErrorAnswer = { status: number; envelope: ErrorEnvelope; headers: Record<string, string> };

/** Any error thrown while answering a request, as the status, envelope and headers to send. */
export function toErrorAnswer(error: unknown, log?: FastifyRequest['log']): ErrorAnswer {
  const answer = (type: ErrorType, message: string, headers: Record<string, string> = {}): ErrorAnswer => ({
    status: ERROR_HTTP_STATUS[type],
    envelope: { error: { type, message } },
    headers,
  });
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error.extra.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(error.extra.retryAfterSeconds);
    if (error.extra.allowedMethods) headers.allow = error.extra.allowedMethods.join(', ');
    return answer(error.type, error.message, headers);
  }
  const fastifyError = error as FastifyError;
  const known = fastifyError?.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
  if (known) return answer(known.type, known.message(fastifyError));
  if (fastifyError && isDecompressionError(fastifyError)) {
    return answer('invalid-input', 'Invalid input: the request body could not be decompressed.');
  }
  // Anything else is our bug: log it whole, answer without internals.
  log?.error({ err: error }, 'unhandled error');
  return answer('internal-server-error', 'Internal server error. The problem has been logged.');
}

/** SuperOffice's paths answer errors in SuperOffice's shape; every other path in Apify's. */
const SUPEROFFICE_PREFIX = /^\/api\/v1(\/|$|\?)/i;

export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, envelope, headers } = toErrorAnswer(error, reply.log);
  const body = SUPEROFFICE_PREFIX.test(reply.request.url) ? toSuperOfficeError(envelope) : envelope;
  return reply.code(status).headers(headers).send(body);
}
