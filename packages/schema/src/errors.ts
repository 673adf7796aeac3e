import { z } from 'zod';

/**
 * Error types, as listed by Apify's API reference (ErrorType), plus the HTTP layer's own refusals
 * (a path or headers too long, a request that did not arrive in time, a body labelled with a media
 * type the endpoint does not read), `service-unavailable` (the database cannot be reached right now:
 * retry after `Retry-After`) and `internal-server-error` for the failures a client cannot fix.
 * Clients such as apify-client branch on these strings (e.g. `record-not-found` makes `get()`
 * resolve to undefined), so they are part of the wire.
 */
export const ERROR_TYPES = [
  'actor-memory-limit-exceeded',
  'actor-not-found',
  'invalid-input',
  'method-not-allowed',
  'permission-denied',
  'rate-limit-exceeded',
  'record-not-found',
  'record-not-unique',
  'record-or-token-not-found',
  'request-id-invalid',
  'request-too-large',
  'run-failed',
  'run-timeout-exceeded',
  'token-not-valid',
  'unknown-build-tag',
  'unsupported-content-encoding',
  'request-uri-too-long',
  'request-header-fields-too-large',
  'request-timeout',
  'unsupported-media-type',
  'service-unavailable',
  'internal-server-error',
  // Apify's names for a quota reached: the webhooks a user may have, and what one request may make.
  'too-many-webhooks',
  'limit-reached',
] as const;

export const ErrorTypeSchema = z.enum(ERROR_TYPES);
export type ErrorType = z.infer<typeof ErrorTypeSchema>;

/** The one table from error type to HTTP status; every transport and the SDK read it. */
export const ERROR_HTTP_STATUS: Record<ErrorType, number> = {
  'invalid-input': 400,
  'request-id-invalid': 400,
  'run-failed': 400,
  'unknown-build-tag': 400,
  'token-not-valid': 401,
  'actor-memory-limit-exceeded': 402,
  'permission-denied': 403,
  'record-not-found': 404,
  'record-or-token-not-found': 404,
  'actor-not-found': 404,
  'method-not-allowed': 405,
  'request-timeout': 408,
  'run-timeout-exceeded': 408,
  'record-not-unique': 409,
  'request-too-large': 413,
  'request-uri-too-long': 414,
  'unsupported-content-encoding': 415,
  'unsupported-media-type': 415,
  'rate-limit-exceeded': 429,
  'request-header-fields-too-large': 431,
  'internal-server-error': 500,
  'service-unavailable': 503,
  // A quota of the account: nothing to retry until a webhook is deleted or the limit raised.
  'too-many-webhooks': 403,
  // The request would create more dispatches than one request may (split it, or raise the limit).
  'limit-reached': 413,
};

export const ErrorBodySchema = z
  .object({
    type: ErrorTypeSchema,
    message: z.string(),
  })
  .meta({ id: 'ErrorBody' });

/** Every error answer: `{ "error": { "type": ..., "message": ... } }`. */
export const ErrorEnvelopeSchema = z.object({ error: ErrorBodySchema }).meta({ id: 'ErrorEnvelope' });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;
