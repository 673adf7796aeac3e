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
