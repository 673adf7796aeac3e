import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as setImmediatePromise, setTimeout as sleep } from 'node:timers/promises';
import {
  type Context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { TemplateVariables } from '@ricochet/schema';
import type { Logger } from 'pino';
import { type Sql, sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { createHistoryPartitions, isMissingPartition } from '../history/partitions.ts';
import type { DeliveryOutcome, Metrics } from '../metrics.ts';
import type { HttpSender, SendResult } from '../outbound/http-sender.ts';
import { buildDeliveryRequest, sendsDefaultPayload, TemplateRenderError } from '../outbound/payload.ts';
import { storedHeaders } from '../outbound/stored-call.ts';
import { storedRequest, withTraceparent } from '../outbound/stored-request.ts';
import { storedResponseHeaders } from '../outbound/stored-response.ts';
import * as queue from '../queue/index.ts';
import { releaseHostWaits } from '../queue/sql/release-host-waits.ts';
import { stopFailingWebhooks } from '../queue/sql/stop-failing-webhooks.ts';
import {
  contextOf,
  markFailed,
  spanContextOf,
  traceparentOf,
  tracer,
  tracingEnabled,
} from '../telemetry/trace-context.ts';
import { attemptVerdict, type RetryPolicy, retryDelayMs } from './retry-policy.ts';
import { liveSecrets, type WebhookDefinition, WebhookDefinitions } from './webhook-definitions.ts';

export type CircuitSettings = {
  /** Calls in a row that got no response after which a webhook's circuit opens. */
  failureThreshold: number;
  /** The first probe's delay after the circuit opens; each probe without a response doubles it. */
  probeDelayMs: number;
  maxProbeDelayMs: number;
};

export type WorkerSettings = {
  retry: RetryPolicy;
  /** How long a claim holds; renewed while the call runs, so only a dead worker's claims lapse. */
  leaseMs: number;
  attemptTimeoutMs: number;
  /** Dispatches claimed by one query. */
  batchSize: number;
  /**
   * Calls in flight at once in this process. It does not size the database pool: claiming,
   * recording (batched) and lease renewal each use one connection at a time, so a worker needs at
   * most three connections whatever its concurrency.
   */
  concurrency: number;
  /** Calls in flight to one `host:port` at most, across every worker of the installation. */
  maxConcurrentPerHost: number;
  /** Fallback wake-up when no NOTIFY arrives (another process scheduled a retry, a lease lapsed). */
  pollIntervalMs: number;
  /** Consecutive FAILED dispatches after which a webhook is set TOO_MANY_ERRORS. */
  failureThreshold: number;
  circuit: CircuitSettings;
  requestOrigin: string;
  /** Queue alert e-mails with the failing and disabled events (the installation has SMTP configured). */
  alertEmails?: boolean;
};

export type WorkerDependencies = {
  prisma: PrismaClient;
  sender: HttpSender;
  logger: Logger;
  settings: WorkerSettings;
  listen?: (channel: string, onNotify: () => void) => Promise<() => Promise<void>>;
  metrics?: Metrics;
  workerId?: string;
  /**
   * Injected in tests to drive the retry schedule without waiting: it decides what is due and when
   * a retry is scheduled. Leases always come from the database's clock.
   */
  clock?: () => Date;
  random?: () => number;
};

type Claim = queue.ClaimedDispatch;

/** An attempt's result waiting to be written, and the promise its delivery waits on. */
type PendingResult = {
  claim: Claim;
  result: queue.AttemptResult;
  /** Where the call went (its webhook's URL, rendered), for the operational events that report it. */
  requestUrl: string;
  /** The webhook was failing when claimed: a success ends its run (`ricochet.webhook.recovered`). */
  webhookFailing: boolean;
  /** The call was made (or tried) and got no response: what opens a circuit. */
  noResponse: boolean;
  done: () => void;
};

/** How often a worker deletes the queued dispatches of deleted webhooks (see sweepOrphans). */
const ORPHAN_SWEEP_INTERVAL_MS = 60_000;
/** Results written by one statement at most; more wait for the next. */
const RECORD_BATCH_LIMIT = 500;
/** Backoff between attempts to write results while the database refuses. */
const RECORD_RETRY_MIN_MS = 50;
const RECORD_RETRY_MAX_MS = 2_000;
/**
 * Claims held at most (calls being made plus answers waiting to be written), per unit of
 * concurrency: when the database writes slowly, claiming stops instead of piling up answers.
 */
const MAX_UNRECORDED_FACTOR = 2;
/** Rows one promotion makes claimable at most. */
const PROMOTE_LIMIT = 1_000;
/** READY rows a claim looks at, per row it may take: room to step over rows that cannot go now. */
const CLAIM_WINDOW_FACTOR = 2;
/**
 * The least time between two claims when the last one found little (a quarter of a batch or less):
 * while events trickle in faster than calls finish, claiming on every NOTIFY would cost a claim
 * statement per delivery; waiting this long lets a few gather. At 100 events/s claims are further
 * apart than this anyway, so a quiet queue's latency is untouched.
 */
const SMALL_CLAIM_SPACING_MS = 3;

/**
 * The delivery worker, top to bottom: claim what can be sent now (the queue decides: fair order,
 * per-host bound, rate limits, circuits; see src/queue), send each while this worker holds its
 * lease, and record the results in batches (one statement for every result that arrived meanwhile).
 * Between claims it keeps the queue moving: due retries and lapsed leases come back (promote),
 * rate-limited webhooks get their start slots (pace), open circuits get their probes.
 *
 * Correctness under load rests on three rules:
 * - Leases come from the database's clock (now() in the claim and renewal queries), never from
 *   this process's, so a worker waiting for a connection cannot hand itself a lease that has
 *   already lapsed in the database's eyes.
 * - A result moves its dispatch only while this worker still holds the claim (leasedBy and
 *   attemptCount unchanged): a worker whose lease lapsed mid-call cannot record over the new holder.
 * - A result that came back is never dropped: writing it is retried until it succeeds (or, when
 *   stopping, until its lease is gone anyway). Duplicates happen only when a process dies between
 *   the receiver's answer and the commit.
 */
export class DeliveryWorker {
  readonly workerId: string;
  /** Claims sent or being recorded, by dispatch id, with the local deadline of their lease. */
  private readonly inFlight = new Map<
    string,
    {
      attempt: number;
      leaseDeadline: number;
      work: Promise<void>;
      /** The span its attempt's span goes under (its claim's, in its event's trace); root when untraced. */
      traceContext: Context;
    }
  >();
  /**
   * Calls being made right now (claimed, not yet answered): what `concurrency` bounds. A call whose
   * answer waits to be written no longer counts, so the database's write latency does not idle
   * the worker's calls; those waiting are bounded apart (see MAX_UNRECORDED_FACTOR).
   */
  private calling = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** A wake-up (NOTIFY, a freed slot) that came while the loop was busy claiming, not asleep. */
  private wakeRequested = false;
  private unlisten: (() => Promise<void>) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private pending: PendingResult[] = [];
  /** Writes (result batches, lease renewals) run one at a time, so they never deadlock each other. */
  private writer: Promise<void> = Promise.resolve();
  private writerBusy = false;
  /** performance.now() when the queue needs its next upkeep (promotion, pacing, probes). */
  private upkeepDueAt = 0;

  private readonly sql: Sql;
  private readonly definitions: WebhookDefinitions;

  constructor(private readonly deps: WorkerDependencies) {
    this.workerId = deps.workerId ?? `worker-${randomUUID()}`;
    this.sql = sqlFor(deps.prisma);
    this.definitions = new WebhookDefinitions(this.sql);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.deps.listen)
      this.unlisten = await this.deps.listen(queue.DISPATCH_CHANNEL, () => this.requestWake());
    const { leaseMs } = this.deps.settings;
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(leaseMs / 3)));
    this.heartbeat.unref();
    this.sweeper = setInterval(() => void this.sweep(), ORPHAN_SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    this.loop = this.run();
  }

  /** Stops claiming, lets the calls in flight finish and be recorded, then returns. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.requestWake();
    await this.loop;
    await Promise.allSettled([...this.inFlight.values()].map((entry) => entry.work));
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
    await this.unlisten?.();
  }

  /**
   * For tests: does the queue's upkeep (due retries, lapsed leases, slots, probes), claims what can
   * go now and delivers it, waiting for every result to be recorded; returns how many it claimed.
   */
  async runOnce(): Promise<number> {
    await this.upkeep();
    const count = await this.claimAndStart(this.deps.settings.batchSize);
    await Promise.allSettled([...this.inFlight.values()].map((entry) => entry.work));
    return count;
  }

  private async sweep(): Promise<void> {
    try {
      const swept = await queue.sweepOrphans(this.sql);
      if (swept > 0)
        this.deps.logger.info({ swept, workerId: this.workerId }, 'swept dispatches of deleted webhooks');
    } catch (error) {
      this.deps.logger.warn(
        { err: error, workerId: this.workerId },
        'sweeping dispatches of deleted webhooks failed',
      );
    }
  }

  private requestWake(): void {
    if (this.wake) this.wake();
    else this.wakeRequested = true;
  }

  /** Wakes the loop for upkeep by `at` (performance.now() time) unless it is due sooner already. */
  private upkeepBy(at: number): void {
    if (at < this.upkeepDueAt) this.upkeepDueAt = at;
  }

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs, batchSize } = this.deps.settings;
    // Claims are made in batches: with a few calls in flight, a worker waits for half a batch's
    // worth of free slots instead of claiming one dispatch per finished call (one query per
    // delivery would cost more than the delivery, and results would be recorded one at a time too).
    const claimAtLeast = Math.max(1, Math.min(Math.ceil(batchSize / 2), Math.floor(concurrency / 2)));
    let lastSmallClaimAt = Number.NEGATIVE_INFINITY;
    while (this.running) {
      if (performance.now() >= this.upkeepDueAt) {
        try {
          await this.upkeep();
        } catch (error) {
          this.deps.logger.error({ err: error, workerId: this.workerId }, 'queue upkeep failed');
          this.upkeepDueAt = performance.now() + pollIntervalMs;
        }
      }
      let claimed = 0;
      const free = Math.min(
        concurrency - this.calling,
        concurrency * MAX_UNRECORDED_FACTOR - this.inFlight.size,
      );
      if (free >= claimAtLeast || (free > 0 && this.calling === 0)) {
        const wait = lastSmallClaimAt + SMALL_CLAIM_SPACING_MS - performance.now();
        if (wait > 0) await sleep(wait);
        try {
          claimed = await this.claimAndStart(free);
          lastSmallClaimAt = claimed <= batchSize / 4 ? performance.now() : Number.NEGATIVE_INFINITY;
        } catch (error) {
          this.deps.logger.error({ err: error, workerId: this.workerId }, 'claiming dispatches failed');
        }
      }
      // A full batch means more may be due: claim again at once. Otherwise sleep until a NOTIFY,
      // a finished call (a slot frees), the next upkeep, or the poll interval.
      if (claimed > 0 && claimed === Math.min(free, batchSize) && free - claimed >= claimAtLeast) continue;
      if (this.wakeRequested) {
        this.wakeRequested = false;
        continue;
      }
      const sleepMs = Math.max(0, Math.min(pollIntervalMs, this.upkeepDueAt - performance.now()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * Keeps the queue moving, in a few statements that touch only rows that need it: due SCHEDULED
   * rows and lapsed leases become claimable, HOST_WAIT rows of hosts with room go, rate-limited
   * webhooks get start slots, open circuits get their probe. Then it plans the next upkeep: at the
   * next SCHEDULED row's time (a retry, a slot) or the poll interval, whichever comes first.
   */
  private async upkeep(): Promise<void> {
    const { settings } = this.deps;
    const dueBase = this.deps.clock?.() ?? null;
    let promoted: queue.PromoteResult;
    do {
      promoted = await queue.promote(this.sql, { dueBase, limit: PROMOTE_LIMIT });
    } while (promoted.more && this.running);
    await releaseHostWaits(this.sql, { perHost: settings.maxConcurrentPerHost });
    for (const webhook of await queue.pacedWebhooks(this.sql)) {
      await queue.paceWebhook(this.sql, {
        webhookId: webhook.id,
        rateLimitPerSecond: webhook.rateLimitPerSecond,
      });
    }
    await queue.releaseProbes(this.sql, { graceMs: settings.attemptTimeoutMs + settings.leaseMs });
    const nextDue = await queue.nextDueAt(this.sql);
    const now = performance.now();
    let next = now + settings.pollIntervalMs;
    // A test's clock decides what is due; it does not move by itself, so nothing is waited for.
    if (nextDue !== null && dueBase === null)
      next = Math.min(next, now + Math.max(0, nextDue.getTime() - Date.now()));
    this.upkeepDueAt = next;
  }

  /**
   * Gives rate-limited webhooks their next start slots, and plans the upkeep that makes the earliest
   * one claimable at its time.
   */
  private async pace(webhooks: Array<{ id: string; rateLimitPerSecond: number }>): Promise<void> {
    for (const webhook of webhooks) {
      const first = await queue.paceWebhook(this.sql, {
        webhookId: webhook.id,
        rateLimitPerSecond: webhook.rateLimitPerSecond,
      });
      if (first) this.upkeepBy(performance.now() + Math.max(0, first.getTime() - Date.now()));
    }
  }

  /** Claims up to `limit` dispatches that can go now and starts delivering them; returns how many. */
  private async claimAndStart(limit: number): Promise<number> {
    const { settings } = this.deps;
    const askedAt = performance.now();
    const claimStartedAt = new Date();
    const take = Math.min(limit, settings.batchSize);
    const claims = await queue.claim(this.sql, {
      limit: take,
      window: take * CLAIM_WINDOW_FACTOR,
      perHost: settings.maxConcurrentPerHost,
      leaseMs: settings.leaseMs,
      workerId: this.workerId,
    });
    if (claims.length === 0) return 0;
    const traceContexts = this.traceClaims(claims, claimStartedAt);
    // A rate-limited webhook's next slot follows its last claimed call: give it now.
    const paced = new Map<string, number>();
    for (const claim of claims) {
      if (claim.rateLimitPerSecond !== null && claim.eventId !== null)
        paced.set(claim.webhookId, claim.rateLimitPerSecond);
    }
    if (paced.size > 0) {
      void this.pace([...paced].map(([id, rateLimitPerSecond]) => ({ id, rateLimitPerSecond }))).catch(
        (error: unknown) =>
          this.deps.logger.warn(
            { err: error, workerId: this.workerId },
            'pacing rate-limited webhooks failed',
          ),
      );
    }
    // The database set each lease to its now() + leaseMs, and its now() is no earlier than the
    // moment the query was sent: counting from askedAt never overestimates the lease.
    const leaseDeadline = askedAt + settings.leaseMs;
    for (const claim of claims) {
      this.inFlight.set(claim.id, {
        attempt: claim.attempt,
        leaseDeadline,
        work: Promise.resolve(),
        traceContext: traceContexts.get(claim.id) ?? ROOT_CONTEXT,
      });
    }
    this.calling += claims.length;
    let definitions: Map<string, WebhookDefinition>;
    try {
      definitions = await this.definitions.get(
        claims.map((claim) => ({ webhookId: claim.webhookId, version: claim.webhookVersion })),
      );
    } catch (error) {
      // Nothing was sent: the leases lapse and the dispatches come back with the next holder.
      for (const claim of claims) this.inFlight.delete(claim.id);
      this.calling -= claims.length;
      throw error;
    }
    for (const claim of claims) {
      const entry = this.inFlight.get(claim.id);
      if (!entry) continue;
      entry.work = this.deliver(claim, definitions.get(claim.webhookId))
        .catch((error: unknown) => {
          this.deps.logger.error(
            { err: error, dispatchId: claim.id, workerId: this.workerId },
            'delivery failed',
          );
        })
        .finally(() => {
          this.inFlight.delete(claim.id);
          this.requestWake();
        });
    }
    return claims.length;
  }

  /**
   * The claim's spans, only when a batch was claimed and tracing is on: one `ricochet.claim` per
   * trace the batch touched, a child of that trace's publish span (the events of one publish, its
   * fan-out, share it), and one for the dispatches whose events were not traced. Each attempt's span
   * goes under its trace's claim span, so an event's trace runs publish → claim → attempt with one
   * span per call and a few per batch: a span per dispatch for the claim too would double what
   * tracing costs a delivery.
   */
  private traceClaims(claims: Claim[], startedAt: Date): Map<string, Context> {
    const contexts = new Map<string, Context>();
    if (!tracingEnabled()) return contexts;
    const byTrace = new Map<string | null, Claim[]>();
    for (const claim of claims) {
      const key = spanContextOf(claim.traceparent) ? claim.traceparent : null;
      const group = byTrace.get(key);
      if (group) group.push(claim);
      else byTrace.set(key, [claim]);
    }
    const claimedAt = new Date();
    for (const [traceparent, group] of byTrace) {
      const span = tracer().startSpan(
        'ricochet.claim',
        {
          startTime: startedAt,
          attributes: {
            'ricochet.worker_id': this.workerId,
            'ricochet.claimed': group.length,
            'ricochet.batch_claimed': claims.length,
          },
        },
        contextOf(traceparent),
      );
      span.end(claimedAt);
      // A span the sampler dropped (its publish was not sampled) still carries its trace and the
      // "not sampled" flag: the attempts under it follow that decision instead of starting traces.
      const context = trace.setSpan(ROOT_CONTEXT, span);
      for (const claim of group) contexts.set(claim.id, context);
    }
    return contexts;
  }

  /** Sends one claimed attempt, if the lease still holds, and waits for its result to be recorded. */
  private async deliver(claim: Claim, definition: WebhookDefinition | undefined): Promise<void> {
    let calling = true;
    const callEnded = () => {
      if (!calling) return;
      calling = false;
      this.calling -= 1;
      this.requestWake();
    };
    try {
      await this.callAndRecord(claim, definition, callEnded);
    } finally {
      callEnded();
    }
  }

  private async callAndRecord(
    claim: Claim,
    definition: WebhookDefinition | undefined,
    callEnded: () => void,
  ): Promise<void> {
    const { settings, logger } = this.deps;
    // Never start a call on a lease that may have lapsed (renewals failing): another worker may
    // hold the dispatch by now. Nothing is recorded; the lease recovery marks the attempt interrupted.
    if (!this.holdsLease(claim.id, settings.leaseMs / 4)) {
      logger.warn({ dispatchId: claim.id, workerId: this.workerId }, 'lease lapsed before sending; not sent');
      return;
    }
    // The webhook was deleted after the claim: nothing to send, and its dispatches are gone with it.
    if (!definition) return;
    const span = this.startAttemptSpan(claim);
    const traceparent = definition.propagateTraceContext ? traceparentOf(span) : null;
    let sent: Awaited<ReturnType<DeliveryWorker['send']>>;
    try {
      sent = await this.send(claim, definition, traceparent);
    } catch (error) {
      markFailed(span, error);
      span.end();
      throw error;
    }
    const { requestUrl, requestBody, result } = sent;
    callEnded();
    const outcome = this.outcomeOf(claim, definition, result);
    endAttemptSpan(span, claim.hostKey, result, outcome);
    const retriesUsed = claim.attempt - claim.roundStartAttempt - 1;
    const delay =
      outcome === 'retrying' ? retryDelayMs(retriesUsed + 1, settings.retry, result, this.deps.random) : null;
    await new Promise<void>((done) => {
      this.pending.push({
        claim,
        result: {
          id: claim.id,
          webhookId: claim.webhookId,
          attempt: claim.attempt,
          startedAt: result.startedAt.toISOString(),
          finishedAt: result.finishedAt.toISOString(),
          ...storedRequest({
            context: {
              dispatchId: claim.id,
              webhookId: claim.webhookId,
              variables: variablesOf(claim),
              secrets: definition.secrets.map((entry) => entry.secret),
            },
            url: requestUrl,
            sentHeaders: result.requestHeaders,
            body: requestBody,
            defaultPayload: sendsDefaultPayload(definition.webhook),
          }),
          responseStatus: result.responseStatus,
          responseHeaders:
            result.responseStatus === null
              ? null
              : storedResponseHeaders(storedHeaders(result.responseHeaders), result.finishedAt),
          responseBody: result.responseBody,
          errorMessage: result.errorMessage,
          outcome,
          retryDelayMs: delay,
        },
        noResponse: result.responseStatus === null && requestBody !== null,
        requestUrl,
        webhookFailing: definition.failing,
        done,
      });
      this.flushSoon();
    });
    this.deps.metrics?.recordAttempt(outcome, result.finishedAt.getTime() - result.startedAt.getTime());
    // One line per attempt is debug: at thousands of deliveries a second an info line each would be
    // a large share of the worker's work. Failures and state changes are logged at info or above.
    if (logger.isLevelEnabled('debug') || outcome !== 'succeeded') {
      logger[outcome === 'succeeded' ? 'debug' : 'info'](
        {
          dispatchId: claim.id,
          webhookId: claim.webhookId,
          attempt: claim.attempt,
          outcome,
          responseStatus: result.responseStatus,
          errorMessage: result.errorMessage,
          workerId: this.workerId,
        },
        'delivery attempt',
      );
    }
  }

  /**
   * `ricochet.attempt`: one call, under its claim's span (so in its event's trace). With tracing
   * off, one shared no-op span: nothing is made per delivery.
   */
  private startAttemptSpan(claim: Claim): Span {
    if (!tracingEnabled()) return UNTRACED;
    return tracer().startSpan(
      'ricochet.attempt',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'ricochet.dispatch_id': claim.id,
          'ricochet.webhook_id': claim.webhookId,
          'ricochet.attempt': claim.attempt,
        },
      },
      this.inFlight.get(claim.id)?.traceContext ?? ROOT_CONTEXT,
    );
  }

  /** Renders and sends one attempt; `traceparent` (the attempt span's) goes with it when given. */
  private async send(
    claim: Claim,
    definition: WebhookDefinition,
    traceparent: string | null,
  ): Promise<{ requestUrl: string; requestBody: string | null; result: SendResult }> {
    const { settings } = this.deps;
    const { webhook } = definition;
    const variables = variablesOf(claim);
    const now = new Date();
    try {
      const request = buildDeliveryRequest({
        webhook,
        message: { dispatchId: claim.id, variables },
        secrets: liveSecrets(definition, now),
        now,
        requestOrigin: settings.requestOrigin,
      });
      if (traceparent !== null) withTraceparent(request.headers, traceparent);
      const result = await this.deps.sender.send({
        ...request,
        timeoutMs: settings.attemptTimeoutMs,
        ignoreSslErrors: webhook.ignoreSslErrors,
      });
      return { requestUrl: request.url, requestBody: request.body, result };
    } catch (error) {
      if (!(error instanceof TemplateRenderError)) throw error;
      const result: SendResult = {
        requestHeaders: {},
        startedAt: now,
        finishedAt: now,
        responseStatus: null,
        responseHeaders: {},
        responseBody: null,
        errorMessage: error.message,
        retryAfterMs: null,
      };
      return { requestUrl: webhook.requestUrl, requestBody: null, result };
    }
  }

  private outcomeOf(claim: Claim, definition: WebhookDefinition, result: SendResult): DeliveryOutcome {
    return attemptVerdict(
      {
        responseStatus: result.responseStatus,
        doNotRetry: definition.webhook.doNotRetry,
        retriesUsed: claim.attempt - claim.roundStartAttempt - 1,
      },
      this.deps.settings.retry,
    );
  }

  /** Whether this worker's lease on a dispatch still has `marginMs` left by the local deadline. */
  private holdsLease(dispatchId: string, marginMs: number): boolean {
    const entry = this.inFlight.get(dispatchId);
    return entry !== undefined && performance.now() + marginMs < entry.leaseDeadline;
  }

  /** Starts writing pending results unless a write is running; those that arrive meanwhile form the next batch. */
  private flushSoon(): void {
    if (this.writerBusy) return;
    this.writerBusy = true;
    this.serially(async () => {
      try {
        while (this.pending.length > 0) {
          // Let the calls that finish in this turn of the event loop join the batch (PGlite answers
          // without ever leaving the microtask queue, so without this every batch would be one).
          await setImmediatePromise();
          const batch = this.pending.splice(0, RECORD_BATCH_LIMIT);
          await this.recordWithRetries(batch);
          for (const entry of batch) entry.done();
        }
      } finally {
        this.writerBusy = false;
      }
    });
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const next = this.writer.then(task);
    this.writer = next.catch(() => {});
    return next;
  }

  /**
   * Writes a batch of results, retrying while the database refuses (a restart, a failover, a full
   * pool): a receiver's answer is never thrown away for a passing error. Only when stopping, and
   * once every lease in the batch has lapsed (another worker may already hold the dispatches, so
   * the write could no longer move them), does it give up, loudly.
   */
  private async recordWithRetries(batch: PendingResult[]): Promise<void> {
    let delay = RECORD_RETRY_MIN_MS;
    for (let failures = 0; ; failures++) {
      try {
        await this.record(batch);
        return;
      } catch (error) {
        // A result stamped by a clock past the partitions made so far (this machine's clock jumped
        // ahead of the maintenance's last run): the weeks it needs are made now, and it is retried.
        if (isMissingPartition(error)) await this.createPartitionsFor(batch).catch(() => {});
        const lapsed = batch.every((entry) => !this.holdsLease(entry.claim.id, 0));
        if (!this.running && lapsed) {
          this.deps.logger.error(
            { err: error, workerId: this.workerId, dispatchIds: batch.map((entry) => entry.claim.id) },
            'results could not be recorded before the leases lapsed; these dispatches will be sent again',
          );
          return;
        }
        this.deps.logger.warn(
          { err: error, workerId: this.workerId, results: batch.length, failures: failures + 1 },
          'recording results failed; retrying',
        );
        await sleep(delay);
        delay = Math.min(delay * 2, RECORD_RETRY_MAX_MS);
      }
    }
  }

  private async createPartitionsFor(batch: PendingResult[]): Promise<void> {
    const times = batch.flatMap((entry) => [
      Date.parse(entry.result.startedAt),
      Date.parse(entry.result.finishedAt),
    ]);
    await createHistoryPartitions(this.sql, {
      from: new Date(Math.min(...times)),
      to: new Date(Math.max(...times) + 7 * 86_400_000),
    });
  }

  /**
   * One statement for the whole batch (see queue's record). Then, rarely and in statements of their
   * own: the webhooks a 410 or a run of FAILED dispatches must stop, circuits that a run of calls
   * without a response opens, and circuits a probe's answer closes or keeps open. When the batch
   * can change a webhook's health (a dispatch FAILED, a failing webhook delivered), the results, the
   * changes and the operational events reporting them are one transaction: none is lost or told
   * twice by a process killed in between. Other batches (nearly all) stay one statement.
   */
  private async record(batch: PendingResult[]): Promise<void> {
    const reportsHealth = batch.some(
      (entry) =>
        entry.result.outcome === 'failed' || (entry.result.outcome === 'succeeded' && entry.webhookFailing),
    );
    if (reportsHealth) await this.sql.transaction((tx) => this.recordOn(tx, batch));
    else await this.recordOn(this.sql, batch);
    await this.updateCircuits(batch);
  }

  private async recordOn(sql: Sql, batch: PendingResult[]): Promise<void> {
    const { settings } = this.deps;
    const moved = new Set(
      await queue.record(sql, {
        results: batch.map((entry) => entry.result),
        workerId: this.workerId,
        perHost: settings.maxConcurrentPerHost,
        dueBase: this.deps.clock?.() ?? null,
      }),
    );
    for (const entry of batch) {
      if (moved.has(entry.claim.id)) continue;
      // Its call has the answer; the dispatch belongs to the worker that took it over.
      this.deps.logger.warn(
        { dispatchId: entry.claim.id, attempt: entry.claim.attempt, workerId: this.workerId },
        'lease lost during the call: the result is kept on its call, the dispatch is left to its new holder',
      );
    }
    const mine = batch.filter((entry) => moved.has(entry.claim.id));
    const retrying = mine.find((entry) => entry.result.outcome === 'retrying');
    if (retrying?.result.retryDelayMs != null)
      this.upkeepBy(performance.now() + retrying.result.retryDelayMs);
    const failed = mine.filter((entry) => entry.result.outcome === 'failed' && entry.claim.eventId !== null);
    const gone = mine.filter(
      (entry) => entry.result.outcome === 'failed' && entry.result.responseStatus === 410,
    );
    const recovered = mine.filter((entry) => entry.result.outcome === 'succeeded' && entry.webhookFailing);
    if (failed.length === 0 && gone.length === 0 && recovered.length === 0) return;
    const failedIds = unique(failed.map((entry) => entry.claim.webhookId));
    // Failing (reported once a run) comes before disabled: a webhook can be both in one batch.
    const failing = await queue.markFailing(sql, {
      noResponseIds: [],
      failedIds,
      failedRun: failingRunOf(settings.failureThreshold),
    });
    const stopped = await stopFailingWebhooks(sql, {
      goneWebhookIds: unique(gone.map((entry) => entry.claim.webhookId)),
      failedWebhookIds: failedIds,
      threshold: settings.failureThreshold,
    });
    const ended = await queue.markRecovered(sql, {
      webhookIds: unique(recovered.map((entry) => entry.claim.webhookId)),
    });
    await queue.emitOperationalEvents(
      sql,
      [
        ...failed
          .filter((entry) => queue.emitsOperationalEvents(entry.claim.eventType))
          .map((entry) => exhaustedEvent(entry)),
        ...failing.flatMap((webhook) => {
          const last = lastEntryThatReports(failed, webhook.id);
          return last ? [failingEvent(webhook, failingRunOf(settings.failureThreshold), last)] : [];
        }),
        ...stopped.flatMap((webhook) => {
          const last = lastEntryThatReports(webhook.reason === 'GONE' ? gone : failed, webhook.id);
          if (!last) return [];
          return [
            {
              userId: webhook.userId,
              eventType: 'ricochet.webhook.disabled' as const,
              eventData: {
                ...queue.webhookRef(webhook),
                reason: webhook.reason,
                failedDispatches: webhook.reason === 'TOO_MANY_ERRORS' ? settings.failureThreshold : null,
                ...lastResultOf(last),
              },
            },
          ];
        }),
        ...ended.flatMap((webhook) =>
          lastEntryThatReports(recovered, webhook.id)
            ? [
                {
                  userId: webhook.userId,
                  eventType: 'ricochet.webhook.recovered' as const,
                  eventData: {
                    ...queue.webhookRef(webhook),
                    failingSince: webhook.failingSince.toISOString(),
                  },
                },
              ]
            : [],
        ),
      ],
      this.emitOptions(),
    );
    for (const webhook of stopped) {
      this.deps.logger.info(
        { webhookId: webhook.id, workerId: this.workerId, reason: webhook.reason },
        'webhook disabled',
      );
    }
  }

  private emitOptions() {
    return { alertEmails: this.deps.settings.alertEmails ?? false };
  }

  private async updateCircuits(batch: PendingResult[]): Promise<void> {
    const { circuit } = this.deps.settings;
    const answered = unique(
      batch
        .filter((entry) => entry.claim.circuitOpen && entry.result.responseStatus !== null)
        .map((entry) => entry.claim.webhookId),
    );
    for (const webhookId of answered) {
      if (await queue.closeCircuit(this.sql, { webhookId })) {
        this.deps.logger.info(
          { webhookId, workerId: this.workerId },
          'circuit closed: the webhook answers again',
        );
      }
    }
    const answeredSet = new Set(answered);
    for (const entry of batch) {
      if (!(entry.claim.isProbe && entry.noResponse) || answeredSet.has(entry.claim.webhookId)) continue;
      await queue.probeFailed(this.sql, {
        webhookId: entry.claim.webhookId,
        baseDelayMs: circuit.probeDelayMs,
        maxDelayMs: circuit.maxProbeDelayMs,
        error: entry.result.errorMessage,
      });
    }
    const unanswered = unique(
      batch
        .filter((entry) => entry.noResponse && !entry.claim.circuitOpen)
        .map((entry) => entry.claim.webhookId),
    );
    // The circuits that open and the failing runs they start are reported in one transaction.
    const opened =
      unanswered.length === 0
        ? []
        : await this.sql.transaction(async (tx) => {
            const ids = await queue.openCircuits(tx, {
              webhookIds: unanswered,
              threshold: circuit.failureThreshold,
              probeDelayMs: circuit.probeDelayMs,
            });
            const marked = await queue.markFailing(tx, { noResponseIds: ids, failedIds: [], failedRun: 1 });
            const noResponse = batch.filter((entry) => entry.noResponse);
            await queue.emitOperationalEvents(
              tx,
              marked.flatMap((webhook) => {
                const last = lastEntryThatReports(noResponse, webhook.id);
                return last ? [failingEvent(webhook, circuit.failureThreshold, last)] : [];
              }),
              this.emitOptions(),
            );
            return ids;
          });
    for (const webhookId of opened) {
      this.deps.logger.warn(
        { webhookId, workerId: this.workerId, failures: circuit.failureThreshold },
        'circuit opened: calls to the webhook get no response; its dispatches wait for a probe',
      );
    }
    if (opened.length > 0) this.upkeepBy(performance.now() + circuit.probeDelayMs);
  }

  /**
   * Extends the leases of the dispatches in flight (database clock); a dispatch whose lease was
   * taken over is dropped from the renewal, so it will not be sent if it has not been yet.
   */
  private async renewLeases(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const { leaseMs } = this.deps.settings;
    await this.serially(async () => {
      const held = [...this.inFlight.entries()].map(([id, entry]) => ({ id, attempt: entry.attempt }));
      if (held.length === 0) return;
      const askedAt = performance.now();
      try {
        const renewed = await queue.renewLeases(this.sql, { held, leaseMs, workerId: this.workerId });
        for (const id of renewed) {
          const entry = this.inFlight.get(id);
          if (entry) entry.leaseDeadline = askedAt + leaseMs;
        }
      } catch (error) {
        this.deps.logger.warn({ err: error, workerId: this.workerId }, 'renewing leases failed');
      }
    });
  }
}

/**
 * What a dispatch's templates are rendered with. A stored call's default payload is rendered again
 * from the same values (services/dispatches.ts reads them the same way).
 */
function variablesOf(claim: Claim): TemplateVariables {
  return {
    userId: claim.userId,
    createdAt: claim.createdAt.toISOString(),
    eventType: claim.eventType,
    eventData: claim.eventData ?? null,
    resource: claim.resource ?? null,
  };
}

/**
 * A webhook's failures are reported only when they are the delivery of ordinary events: a webhook
 * failing to take operational events is not told so by more of them (they would never end).
 */
function lastEntryThatReports(entries: PendingResult[], webhookId: string): PendingResult | undefined {
  return entries.findLast(
    (entry) => entry.claim.webhookId === webhookId && queue.emitsOperationalEvents(entry.claim.eventType),
  );
}

/** The span of every attempt while tracing is off (the API's no-op span, shared). */
const UNTRACED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** What an operational event says of the result that caused it. */
function lastResultOf(last: PendingResult) {
  return { lastResponseStatus: last.result.responseStatus, lastError: last.result.errorMessage };
}

/** `ricochet.webhook.failing` for a webhook markFailing marked, `failures` in a row, `last` the latest. */
function failingEvent(
  webhook: queue.WebhookColumns & { reason: 'NO_RESPONSE' | 'FAILED_DISPATCHES' },
  failures: number,
  last: PendingResult,
): queue.OperationalEvent {
  return {
    userId: webhook.userId,
    eventType: 'ricochet.webhook.failing',
    eventData: { ...queue.webhookRef(webhook), reason: webhook.reason, failures, ...lastResultOf(last) },
  };
}

/** Dispatches FAILED in a row after which a webhook is reported failing: half of what disables it. */
function failingRunOf(failureThreshold: number): number {
  return Math.max(1, Math.ceil(failureThreshold / 2));
}

function exhaustedEvent(entry: PendingResult): queue.OperationalEvent {
  const { claim } = entry;
  return {
    userId: claim.userId,
    eventType: 'ricochet.dispatch.exhausted',
    eventData: {
      dispatchId: claim.id,
      webhookId: claim.webhookId,
      userId: claim.userId,
      requestUrl: entry.requestUrl,
      eventId: claim.eventId,
      eventType: claim.eventType,
      attempts: claim.attempt,
      ...lastResultOf(entry),
    },
  };
}

/**
 * Ends an attempt's span with what the call did: where it went (`host:port` of its URL, never the
 * path or query, which can carry secrets), its answer, the outcome.
 */
function endAttemptSpan(span: Span, hostKey: string, result: SendResult, outcome: DeliveryOutcome): void {
  if (!span.isRecording()) {
    span.end();
    return;
  }
  const colon = hostKey.lastIndexOf(':');
  span.setAttributes({
    'server.address': colon > 0 ? hostKey.slice(0, colon).replace(/^\[|\]$/g, '') : hostKey,
    'server.port': colon > 0 ? Number(hostKey.slice(colon + 1)) : 0,
    'ricochet.outcome': outcome,
    ...(result.responseStatus !== null && { 'http.response.status_code': result.responseStatus }),
  });
  if (outcome !== 'succeeded') {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message:
        result.responseStatus !== null
          ? `HTTP ${result.responseStatus}`
          : (result.errorMessage ?? 'no response'),
    });
    if (result.responseStatus === null) span.setAttribute('error.type', 'no_response');
  }
  span.end(result.finishedAt);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
