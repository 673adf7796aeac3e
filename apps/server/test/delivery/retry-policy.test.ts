import { describe, expect, test } from 'vitest';
import {
  attemptVerdict,
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  retryDelayMs,
} from '../../src/delivery/retry-policy.ts';

// The retry policy is pure: every rule here is decided without a database, a worker or a receiver.
describe('retry policy', () => {
  const policy = DEFAULT_RETRY_POLICY;
  const attempt = { responseStatus: 500, doNotRetry: false, retriesUsed: 0 };

  test('a 2xx succeeds, whatever else is true', () => {
    for (const status of [200, 204, 299]) {
      expect(
        attemptVerdict({ ...attempt, responseStatus: status, doNotRetry: true, retriesUsed: 99 }, policy),
      ).toBe('succeeded');
    }
  });

  test('an error or no answer is retried until the retries are used up', () => {
    expect(attemptVerdict(attempt, policy)).toBe('retrying');
    expect(attemptVerdict({ ...attempt, responseStatus: null }, policy)).toBe('retrying');
    expect(attemptVerdict({ ...attempt, responseStatus: 302 }, policy)).toBe('retrying');
    expect(attemptVerdict({ ...attempt, retriesUsed: policy.maxRetries - 1 }, policy)).toBe('retrying');
    expect(attemptVerdict({ ...attempt, retriesUsed: policy.maxRetries }, policy)).toBe('failed');
  });

  test('410 Gone and a webhook that asks for no retries fail at once', () => {
    expect(attemptVerdict({ ...attempt, responseStatus: 410 }, policy)).toBe('failed');
    expect(attemptVerdict({ ...attempt, doNotRetry: true }, policy)).toBe('failed');
    expect(attemptVerdict({ ...attempt, responseStatus: null, doNotRetry: true }, policy)).toBe('failed');
  });

  test('the backoff doubles from about a minute, within its jitter, and stops at its cap', () => {
    const exact = (random: number, retry: number) => backoffDelayMs(retry, policy, () => random);
    expect(exact(0.5, 1)).toBe(60_000);
    expect(exact(0.5, 2)).toBe(120_000);
    expect(exact(0.5, 4)).toBe(480_000);
    expect(exact(0, 1)).toBe(48_000);
    expect(exact(1, 1)).toBe(72_000);
    expect(exact(1, 30)).toBe(policy.maxDelayMs);
  });

  test("a 429 or 503's Retry-After is honoured within [1 s, retryAfterMaxMs]; other statuses back off", () => {
    const after = (responseStatus: number, retryAfterMs: number | null) =>
      retryDelayMs(1, policy, { responseStatus, retryAfterMs }, () => 0.5);
    expect(after(429, 5_000)).toBe(5_000);
    expect(after(503, 10)).toBe(1_000);
    expect(after(503, 10 * 3600_000)).toBe(policy.retryAfterMaxMs);
    expect(after(500, 5_000)).toBe(60_000);
    expect(after(429, null)).toBe(60_000);
  });
});
