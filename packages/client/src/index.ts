export type {
  ApiToken,
  BulkRedeliverInput,
  BulkRedeliverResult,
  CreateApiTokenInput,
  CreatedApiToken,
  CreatedUser,
  CreateEventTypeInput,
  CreateUserInput,
  CreateWebhookInput,
  Dispatch,
  DispatchCall,
  ErrorType,
  Event,
  EventType,
  List,
  PublishEventInput,
  RotateWebhookSecretInput,
  TestWebhookDefinitionInput,
  UpdateWebhookInput,
  User,
  Webhook,
  WebhookListItem,
  WebhookSecrets,
  WebhookTestResult,
} from '@ricochet/schema';
export {
  createRicochetClient,
  type DispatchQuery,
  newIdempotencyKey,
  type RicochetClient,
  type RicochetClientOptions,
  type WebhookListQuery,
} from './client.ts';
export { isRicochetError, RicochetError, type RicochetErrorType } from './errors.ts';
export { type PageQuery, PageRequest } from './pagination.ts';
export type { RetryOptions } from './retry.ts';
export type { CallOptions, FetchLike } from './transport.ts';
