import { z } from 'zod';
import type { ErrorEnvelope, ErrorType } from './errors.ts';
import {
  AnyWebhookSecretSchema,
  RequestUrlSchema,
  StaticHeadersSchema,
  StaticPropertiesSchema,
} from './webhook.ts';

/** SuperOffice's WebhookState: 1=Active, 2=Stopped, 3=TooManyErrors (0 is its Unknown). */
export const SUPEROFFICE_WEBHOOK_STATES = ['Unknown', 'Active', 'Stopped', 'TooManyErrors'] as const;
export type SuperOfficeWebhookState = (typeof SUPEROFFICE_WEBHOOK_STATES)[number];

/**
 * A state as SuperOffice's API reads an enum: its number, its name in any case, or the number as a
 * string. It comes out as the name.
 */
export const SuperOfficeWebhookStateSchema = z
  .union([z.number().int(), z.string()])
  .transform((state, ctx): SuperOfficeWebhookState => {
    const byNumber = SUPEROFFICE_WEBHOOK_STATES[Number(state)];
    if ((typeof state === 'number' || /^\d+$/.test(state)) && byNumber) return byNumber;
    const byName = SUPEROFFICE_WEBHOOK_STATES.find(
      (name) => typeof state === 'string' && name.toLowerCase() === state.trim().toLowerCase(),
    );
    if (byName) return byName;
    ctx.addIssue({
      code: 'custom',
      message: 'must be 1 (Active), 2 (Stopped), 3 (TooManyErrors) or one of those names',
    });
    return z.NEVER;
  });

/**
 * SuperOffice's webhook definition, as `POST /api/v1/Webhook/Test` takes it. Only TargetUrl is
 * required; the associate objects and the other bookkeeping fields are accepted and ignored.
 */
export const SuperOfficeWebhookSchema = z
  .object({
    WebhookId: z.number().int().nullish(),
    Name: z.string().max(500).nullish(),
    Events: z.array(z.string().max(100)).max(100).nullish(),
    TargetUrl: RequestUrlSchema,
    // SuperOffice takes any secret (its own sample sends "ut"); nothing is stored here.
    Secret: AnyWebhookSecretSchema.nullish(),
    State: SuperOfficeWebhookStateSchema.nullish(),
    Type: z.string().nullish(),
    Headers: StaticHeadersSchema.nullish(),
    Properties: StaticPropertiesSchema.nullish(),
  })
  .meta({ id: 'SuperOfficeWebhook' });
export type SuperOfficeWebhook = z.input<typeof SuperOfficeWebhookSchema>;

export const SuperOfficeWebhookResultSchema = z
  .object({ Success: z.boolean(), Message: z.string() })
  .meta({ id: 'SuperOfficeWebhookResult' });
export type SuperOfficeWebhookResult = z.infer<typeof SuperOfficeWebhookResultSchema>;

/**
 * SuperOffice's REST error body, as its WebAPI answers errors (and as SuperOffice's own TypeScript
 * client, @superoffice/webapi, reads them in its tests): `{Error, ErrorType, Message, ErrorSource}`.
 * Routes under /api/v1 answer errors in this shape; the HTTP status is the same as everywhere else.
 */
export const SuperOfficeErrorSchema = z
  .object({
    Error: z.literal(true),
    ErrorType: z.string(),
    Message: z.string(),
    ErrorSource: z.string(),
  })
  .meta({ id: 'SuperOfficeError' });
export type SuperOfficeError = z.infer<typeof SuperOfficeErrorSchema>;

/** The .NET exception name SuperOffice would report for each of Ricochet's error types. */
// Partial: an error type added later falls back to Exception rather than failing the build.
const SUPEROFFICE_ERROR_TYPES: Partial<Record<ErrorType, string>> = {
  'invalid-input': 'ArgumentException',
  'request-id-invalid': 'ArgumentException',
  'run-failed': 'InvalidOperationException',
  'unknown-build-tag': 'ArgumentException',
  'token-not-valid': 'UnauthorizedAccessException',
  'actor-memory-limit-exceeded': 'InvalidOperationException',
  'permission-denied': 'UnauthorizedAccessException',
  'record-not-found': 'KeyNotFoundException',
  'record-or-token-not-found': 'KeyNotFoundException',
  'actor-not-found': 'KeyNotFoundException',
  'method-not-allowed': 'NotSupportedException',
  'run-timeout-exceeded': 'TimeoutException',
  'record-not-unique': 'InvalidOperationException',
  'request-too-large': 'InvalidDataException',
  'unsupported-content-encoding': 'NotSupportedException',
  'unsupported-media-type': 'NotSupportedException',
  'request-timeout': 'TimeoutException',
  'rate-limit-exceeded': 'InvalidOperationException',
  'too-many-webhooks': 'InvalidOperationException',
  'limit-reached': 'InvalidOperationException',
  'internal-server-error': 'Exception',
};

/** An error envelope in SuperOffice's shape; ErrorSource names Ricochet and its own error type. */
export function toSuperOfficeError(envelope: ErrorEnvelope): SuperOfficeError {
  const { type, message } = envelope.error;
  return {
    Error: true,
    ErrorType: SUPEROFFICE_ERROR_TYPES[type] ?? 'Exception',
    Message: message,
    ErrorSource: `Ricochet (${type})`,
  };
}
