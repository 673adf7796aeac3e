/**
 * Limits clients need to know, because they shape requests: the server refuses beyond them, and
 * the dashboard and SDK stay within them.
 */

/**
 * The most procedures one tRPC batch may carry (httpBatchLink's `maxItems`). Every procedure of a
 * batch counts against the caller's rate limit like a request of its own.
 */
export const TRPC_MAX_BATCH_SIZE = 10;

/** Synchronous test calls (a definition tested before saving, SuperOffice's Webhook/Test) one user may have in flight. */
export const MAX_TEST_CALLS_IN_FLIGHT_PER_USER = 3;

/**
 * A page of a list is cut short once its items' JSON reaches this many bytes (`count` then says how
 * many it has; the next page starts at `offset + count`, as Apify's clients and the SDK read it).
 * At least one item is always sent.
 */
export const LIST_PAGE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * A dispatch in a list whose JSON would be larger than this is abridged: its calls' response bodies
 * are left out, then its eventData, and `abridged` links to the whole dispatch.
 */
export const LIST_ITEM_MAX_BYTES = 64 * 1024;

/** A dispatch in a list carries its latest calls up to this many (`attemptCount` says how many it had). */
export const LIST_CALLS_PER_DISPATCH = 25;

/**
 * A dispatch read through tRPC (or returned by an action) carries its latest calls up to this many;
 * `GET /v2/webhook-dispatches/:id` streams all of them.
 */
export const DISPATCH_CALLS_LIMIT = 100;

/**
 * Event types a user may register besides Apify's: the catalogue is one answer (the dashboard's
 * forms show it whole), and each type carries up to 16 KB of example data.
 */
export const MAX_EVENT_TYPES_PER_USER = 250;
