import type { Config } from '../config.ts';
import type { OutboundPolicy } from '../outbound/outbound-guard.ts';
import type { WorkerSettings } from './worker.ts';

/** The worker's settings as the environment gives them. */
export function workerSettingsFrom(config: Config): WorkerSettings {
  return {
    retry: {
      maxRetries: config.DELIVERY_MAX_RETRIES,
      baseDelayMs: config.DELIVERY_RETRY_BASE_DELAY_MS,
      maxDelayMs: config.DELIVERY_RETRY_MAX_DELAY_MS,
      retryAfterMaxMs: config.DELIVERY_RETRY_AFTER_MAX_MS,
      jitter: 0.2,
    },
    leaseMs: config.DELIVERY_LEASE_MS,
    attemptTimeoutMs: config.DELIVERY_ATTEMPT_TIMEOUT_MS,
    batchSize: config.DELIVERY_BATCH_SIZE,
    concurrency: config.DELIVERY_CONCURRENCY,
    maxConcurrentPerHost: config.DELIVERY_MAX_CONCURRENT_PER_HOST,
    pollIntervalMs: config.DELIVERY_POLL_INTERVAL_MS,
    failureThreshold: config.WEBHOOK_FAILURE_THRESHOLD,
    circuit: {
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      probeDelayMs: config.CIRCUIT_PROBE_DELAY_MS,
      maxProbeDelayMs: config.CIRCUIT_MAX_PROBE_DELAY_MS,
    },
    requestOrigin: config.RICOCHET_REQUEST_ORIGIN,
    alertEmails: config.SMTP_HOST !== undefined,
  };
}

export function outboundPolicyFrom(config: Config): OutboundPolicy {
  return { allowLoopback: config.OUTBOUND_ALLOW_LOOPBACK, allowPrivate: config.OUTBOUND_ALLOW_PRIVATE };
}
