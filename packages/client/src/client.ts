import type * as Schema from '@ricochet/schema';
import { type PageQuery, PageRequest } from './pagination.ts';
import { type ApiCall, type CallOptions, createTransport, type TransportOptions } from './transport.ts';

export type RicochetClientOptions = TransportOptions;

/** Filters of the webhook list: its condition's actor or task (Apify's nested list endpoints). */
export type WebhookListQuery = PageQuery & { actorId?: string; actorTaskId?: string };
export type DispatchQuery = Partial<Schema.DispatchListQuery>;

const id = encodeURIComponent;

/**
 * A key that makes a POST safe to repeat: the server answers a repeat with the record the first one
 * made. 128 random bits from Web Crypto (getRandomValues works in insecure browser contexts too,
 * where randomUUID does not).
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `sdk-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** The input with the caller's idempotency key, or a new one: what makes a POST safe to retry. */
function withIdempotencyKey<Input extends { idempotencyKey?: string | null | undefined }>(
  input: Input,
): Input {
  return { ...input, idempotencyKey: input.idempotencyKey ?? newIdempotencyKey() };
}

/**
 * The Ricochet API client. Every method speaks the REST API (`/v2/...`), takes and returns the shapes
 * of @ricochet/schema, and throws RicochetError. Transient failures are retried (see RetryOptions):
 * 429 always, 502/503/504 and dropped connections only for requests that are safe to repeat. Creating
 * a webhook and publishing an event carry an idempotency key (one is made when you give none), so
 * they are safe to repeat; the other POSTs (tests, rotations, redeliveries, users, tokens) are not.
 */
export function createRicochetClient(options: RicochetClientOptions) {
  const transport = createTransport(options);
  const get = <Data>(path: string, query?: ApiCall['query'], call?: CallOptions) =>
    transport.call<Data>({ method: 'GET', path, repeatable: true, ...(query && { query }), ...call });
  const send = <Data>(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    repeatable: boolean,
    call?: CallOptions,
  ) => transport.call<Data>({ method, path, body, repeatable, ...call });
  const remove = (path: string, call?: CallOptions) =>
    transport.call<void>({ method: 'DELETE', path, repeatable: true, ...call });
  const pages = <Item, Query extends PageQuery>(path: string, query: Query | undefined, call?: CallOptions) =>
    new PageRequest<Item>((page) => get<Schema.List<Item>>(path, { ...query, ...page }, call), query);

  const webhooks = {
    /** Creates a webhook; a repeat with the same idempotencyKey returns the first one. */
    create: (input: Schema.CreateWebhookInput, call?: CallOptions) =>
      send<Schema.Webhook>('POST', '/v2/webhooks', withIdempotencyKey(input), true, call),
    /** One page (`await`) or every webhook (`for await`), oldest first unless `desc`. */
    list: (query?: WebhookListQuery, call?: CallOptions) => {
      const { actorId, actorTaskId, ...page } = query ?? {};
      const path =
        actorId !== undefined
          ? `/v2/actors/${id(actorId)}/webhooks`
          : actorTaskId !== undefined
            ? `/v2/actor-tasks/${id(actorTaskId)}/webhooks`
            : '/v2/webhooks';
      return pages<Schema.WebhookListItem, PageQuery>(path, page, call);
    },
    get: (webhookId: string, call?: CallOptions) =>
      get<Schema.Webhook>(`/v2/webhooks/${id(webhookId)}`, undefined, call),
    /** Changes only the fields given; a field set to null goes back to its default. */
    update: (webhookId: string, input: Schema.UpdateWebhookInput, call?: CallOptions) =>
      send<Schema.Webhook>('PUT', `/v2/webhooks/${id(webhookId)}`, input, true, call),
    delete: (webhookId: string, call?: CallOptions) => remove(`/v2/webhooks/${id(webhookId)}`, call),
    /** Queues a dispatch of Apify's TEST event to the webhook; returns the dispatch. */
    test: (webhookId: string, call?: CallOptions) =>
      send<Schema.Dispatch>('POST', `/v2/webhooks/${id(webhookId)}/test`, undefined, false, call),
    /** Sends the TEST event to a definition that is not saved, once, now; nothing is stored. */
    testUnsaved: (definition: Schema.TestWebhookDefinitionInput, call?: CallOptions) =>
      send<Schema.WebhookTestResult>('POST', '/v2/webhook-tests', definition, false, call),
    /** The live signing secrets, newest first. */
    secrets: (webhookId: string, call?: CallOptions) =>
      get<Schema.WebhookSecrets>(`/v2/webhooks/${id(webhookId)}/secret`, undefined, call),
    /** A new secret; the old ones keep signing for gracePeriodSeconds (default a day). */
    rotateSecret: (webhookId: string, input: Schema.RotateWebhookSecretInput = {}, call?: CallOptions) =>
      send<Schema.WebhookSecrets>('POST', `/v2/webhooks/${id(webhookId)}/secret/rotate`, input, false, call),
    /** The webhook's dispatches: one page or all of them. */
    dispatches: (webhookId: string, query?: DispatchQuery, call?: CallOptions) =>
      pages<Schema.Dispatch, DispatchQuery>(`/v2/webhooks/${id(webhookId)}/dispatches`, query, call),
    /**
     * The webhook's recent changes, newest first: its operational events (failing, disabled,
     * recovered, switched on, changed, secret rotated), whether or not a webhook subscribes to them.
     */
    notifications: (webhookId: string, query?: { limit?: number }, call?: CallOptions) =>
      get<Schema.WebhookNotifications>(`/v2/webhooks/${id(webhookId)}/notifications`, query, call),
    /** Redelivers the webhook's FAILED dispatches created in [since, until]. */
    redeliverFailed: (webhookId: string, input: Schema.BulkRedeliverInput, call?: CallOptions) =>
      send<Schema.BulkRedeliverResult>(
        'POST',
        `/v2/webhooks/${id(webhookId)}/dispatches/redeliver`,
        input,
        false,
        call,
      ),
  };

  const dispatches = {
    list: (query?: DispatchQuery, call?: CallOptions) =>
      pages<Schema.Dispatch, DispatchQuery>('/v2/webhook-dispatches', query, call),
    get: (dispatchId: string, call?: CallOptions) =>
      get<Schema.Dispatch>(`/v2/webhook-dispatches/${id(dispatchId)}`, undefined, call),
    /** Queues a finished dispatch again (same id, fresh retry schedule). */
    redeliver: (dispatchId: string, call?: CallOptions) =>
      send<Schema.Dispatch>(
        'POST',
        `/v2/webhook-dispatches/${id(dispatchId)}/redeliver`,
        undefined,
        false,
        call,
      ),
    /**
     * Attempts a dispatch that waits on its backoff now (its retry schedule carries on). Not
     * repeated on a lost answer: a repeat would find the attempt running and be refused.
     */
    retryNow: (dispatchId: string, call?: CallOptions) =>
      send<Schema.Dispatch>(
        'POST',
        `/v2/webhook-dispatches/${id(dispatchId)}/retry-now`,
        undefined,
        false,
        call,
      ),
  };

  const events = {
    /**
     * Publishes an event. It carries an idempotency key (yours, or one made here), so a retry after a
     * lost answer returns the event the first attempt stored instead of publishing it twice.
     */
    publish: (input: Schema.PublishEventInput, call?: CallOptions) =>
      send<Schema.Event>('POST', '/v2/events', withIdempotencyKey(input), true, call),
    get: (eventId: string, call?: CallOptions) =>
      get<Schema.Event>(`/v2/events/${id(eventId)}`, undefined, call),
    /**
     * Publishes up to 1,000 events in one request and one transaction: all of them or none. Each
     * event carries its own idempotency key (yours, or one made here), so retrying a batch whose
     * answer was lost stores nothing twice. `userId` on an event (admins): publish it for that user.
     */
    publishBatch: (input: Schema.PublishEventBatchInput, call?: CallOptions) =>
      send<Schema.PublishEventBatchResult>(
        'POST',
        '/v2/events/batch',
        { ...input, events: input.events.map(withIdempotencyKey) },
        true,
        call,
      ),
    /**
     * (Administrators) One event for every user with an active webhook subscribed to the type. With
     * the idempotency key (yours, or one made here) a repeat reaches no user twice.
     */
    broadcast: (input: Schema.BroadcastEventInput, call?: CallOptions) =>
      send<Schema.BroadcastEventResult>(
        'POST',
        '/v2/events/broadcast',
        withIdempotencyKey(input),
        true,
        call,
      ),
  };

  const eventTypes = {
    /** Apify's catalogue and your own event types. */
    list: (call?: CallOptions) => get<Schema.EventType[]>('/v2/event-types', undefined, call),
    create: (input: Schema.CreateEventTypeInput, call?: CallOptions) =>
      send<Schema.EventType>('POST', '/v2/event-types', input, false, call),
    delete: (name: string, call?: CallOptions) => remove(`/v2/event-types/${id(name)}`, call),
  };

  const users = {
    /** The user the token belongs to. */
    me: (call?: CallOptions) => get<Schema.User>('/v2/users/me', undefined, call),
    /**
     * Where alert e-mails about your webhooks go (a webhook failing or disabled), or null for none;
     * sent when the installation has SMTP configured.
     */
    setAlertEmail: (alertEmail: string | null, call?: CallOptions) =>
      send<Schema.User>('PUT', '/v2/users/me/alert-email', { alertEmail }, true, call),
    /** How far back the user's history goes (retention): older history has been removed. */
    history: (call?: CallOptions) => get<Schema.HistoryWindow>('/v2/users/me/history', undefined, call),
    /**
     * (Administrators) The user's own retention in days, or null for the installation's
     * RETENTION_DAYS. Setting it again is harmless (a PUT).
     */
    setRetention: (userId: string, retentionDays: number | null, call?: CallOptions) =>
      send<Schema.User>('PUT', `/v2/users/${id(userId)}/retention`, { retentionDays }, true, call),
    /** Every user (administrators only). */
    list: (call?: CallOptions) => get<Schema.User[]>('/v2/users', undefined, call),
    /** Creates a user and its first token (administrators only). */
    create: (input: Schema.CreateUserInput, call?: CallOptions) =>
      send<Schema.CreatedUser>('POST', '/v2/users', input, false, call),

    /**
     * (Administrators) The user with your own id for it, created when there is none: safe to call on
     * every request of your backend, concurrently, and to retry.
     */
    ensure: (input: Schema.EnsureUserInput, call?: CallOptions) =>
      send<Schema.EnsuredUser>('POST', '/v2/users/by-external-id', input, true, call),
    /** (Administrators) The user with this externalId. */
    getByExternalId: (externalId: string, call?: CallOptions) =>
      get<Schema.User>(`/v2/users/by-external-id/${id(externalId)}`, undefined, call),
    /**
     * (Administrators) A single-use link that opens the customer portal for the user; hand `url` to
     * the customer, or embed it (`@ricochet/client/embed`). Not repeatable: each call makes a link.
     */
    createPortalSession: (userId: string, input: Schema.CreatePortalSessionInput = {}, call?: CallOptions) =>
      send<Schema.PortalSession>('POST', `/v2/users/${id(userId)}/portal-sessions`, input, false, call),
  };

  const tokens = {
    /** The user's API tokens (never their values). */
    list: (call?: CallOptions) => get<Schema.ApiToken[]>('/v2/users/me/tokens', undefined, call),
    /** A new token; its value is in the answer this once. */
    create: (input: Schema.CreateApiTokenInput, call?: CallOptions) =>
      send<Schema.CreatedApiToken>('POST', '/v2/users/me/tokens', input, false, call),
    revoke: (tokenId: string, call?: CallOptions) => remove(`/v2/users/me/tokens/${id(tokenId)}`, call),
  };

  return { webhooks, dispatches, events, eventTypes, users, tokens };
}

export type RicochetClient = ReturnType<typeof createRicochetClient>;
