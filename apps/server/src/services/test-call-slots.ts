import { MAX_TEST_CALLS_IN_FLIGHT_PER_USER } from '@ricochet/schema';
import { AppError } from './errors.ts';

/** All users together: synchronous test calls this process makes at once. */
const MAX_TEST_CALLS_IN_FLIGHT = 64;

const inFlightByUser = new Map<string, number>();
let inFlight = 0;

/**
 * Runs a synchronous outbound test call (an unsaved definition, SuperOffice's Webhook/Test) within
 * the user's slots. Each one holds an outbound socket for up to DELIVERY_ATTEMPT_TIMEOUT_MS while the
 * request waits, so a user (or a batch of tRPC calls) gets at most MAX_TEST_CALLS_IN_FLIGHT_PER_USER
 * at a time; more are answered 429 at once rather than queued.
 */
export async function withTestCallSlot<Result>(userId: string, call: () => Promise<Result>): Promise<Result> {
  const mine = inFlightByUser.get(userId) ?? 0;
  if (mine >= MAX_TEST_CALLS_IN_FLIGHT_PER_USER || inFlight >= MAX_TEST_CALLS_IN_FLIGHT) {
    throw new AppError(
      'rate-limit-exceeded',
      `At most ${MAX_TEST_CALLS_IN_FLIGHT_PER_USER} test calls at a time: retry when one has finished.`,
      { retryAfterSeconds: 1 },
    );
  }
  inFlightByUser.set(userId, mine + 1);
  inFlight++;
  try {
    return await call();
  } finally {
    inFlight--;
    const left = (inFlightByUser.get(userId) ?? 1) - 1;
    if (left === 0) inFlightByUser.delete(userId);
    else inFlightByUser.set(userId, left);
  }
}
