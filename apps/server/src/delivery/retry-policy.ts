// The retry policy, whole and pure: when a finished attempt is given up, and how long to wait
// before the next one. The worker applies it; queue/sql/record.ts stores what it decided.

/** How failed attempts are retried. Defaults follow Apify: about a minute, doubling, 11 retries. */
export type RetryPolicy = {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A receiver's Retry-After is honoured up to this bound, so it cannot park a dispatch for a year. */
  retryAfterMaxMs: number;
  /** ± fraction of randomness on each delay, so failed dispatches of one outage do not return in lockstep. */
  jitter: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 11,
  baseDelayMs: 60_000,
  maxDelayMs: 24 * 3600_000,
  retryAfterMaxMs: 3600_000,
  jitter: 0.2,
};

/** Delay before retry number `retry` (1 = the first retry): base · 2^(retry-1), with jitter, capped. */
export function backoffDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exact = Math.min(policy.baseDelayMs * 2 ** (retry - 1), policy.maxDelayMs);
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(exact * spread, policy.maxDelayMs));
}

/**
 * When to try again after a failed attempt: the receiver's Retry-After (on 429 and 503) within
 * [1 s, retryAfterMaxMs], else the backoff schedule.
 */
export function retryDelayMs(
  retry: number,
  policy: RetryPolicy,
  response: { responseStatus: number | null; retryAfterMs: number | null },
  random?: () => number,
): number {
  if (
    (response.responseStatus === 429 || response.responseStatus === 503) &&
    response.retryAfterMs !== null
  ) {
    return Math.min(Math.max(response.retryAfterMs, 1000), policy.retryAfterMaxMs);
  }
  return backoffDelayMs(retry, policy, random);
}

/** What a finished attempt leads to. */
export type AttemptVerdict = 'succeeded' | 'retrying' | 'failed';

/**
 * A 2xx succeeds. Otherwise the dispatch fails for good on 410 Gone (the receiver says the
 * endpoint is gone), when its webhook asks for no retries, or when this round's retries are used
 * up (a redelivery starts a new round); else it is tried again after retryDelayMs.
 */
export function attemptVerdict(
  attempt: { responseStatus: number | null; doNotRetry: boolean; retriesUsed: number },
  policy: Pick<RetryPolicy, 'maxRetries'>,
): AttemptVerdict {
  const status = attempt.responseStatus;
  if (status !== null && status >= 200 && status < 300) return 'succeeded';
  const giveUp = status === 410 || attempt.doNotRetry || attempt.retriesUsed >= policy.maxRetries;
  return giveUp ? 'failed' : 'retrying';
}
