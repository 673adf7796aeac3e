import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as setImmediatePromise, setTimeout as sleep } from 'node:timers/promises';
import type { TemplateVariables } from '@ricochet/schema';
import type { Logger } from 'pino';
import { type Sql, sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { DISPATCH_CHANNEL } from '../services/events.ts';
import { stopWebhooksAfterFailures } from '../services/webhook-stats.ts';
import { sweepOrphanedDispatches } from '../services/webhooks.ts';
import type { HttpSender, SendResult } from './http-sender.ts';
import type { DeliveryOutcome, Metrics } from './metrics.ts';
import { buildDeliveryRequest, type DeliveryWebhook, TemplateRenderError } from './payload.ts';
import { type RetryPolicy, retryDelayMs } from './retry-schedule.ts';
import { INTERRUPTED, storedHeaders, storedRequestBody } from './stored-call.ts';

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
  /** Fallback wake-up when no NOTIFY arrives (another process scheduled a retry, a lease lapsed). */
  pollIntervalMs: number;
  /** Consecutive FAILED dispatches after which a webhook is set TOO_MANY_ERRORS. */
  failureThreshold: number;
  requestOrigin: string;
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

/** A claimed attempt with everything needed to send it, as the claim query returns it. */
type Claim = {
  id: string;
  attempt: number;
  roundStartAttempt: number;
  userId: string;
  eventId: string | null;
  eventType: string;
  eventData: Record<string, unknown> | null;
  resource: Record<string, unknown> | null;
  createdAt: Date;
  webhook: DeliveryWebhook & { doNotRetry: boolean; ignoreSslErrors: boolean };
  /** Live secrets, newest first (the newest also keys the single X-SuperOffice-Signature). */
  secrets: string[];
};

/** What one attempt sent (body null when no request could be rendered) and what came back. */
type Attempt = { requestUrl: string; requestBody: string | null; result: SendResult };

/** An attempt's result waiting to be written, and the promise its delivery waits on. */
type PendingResult = {
  claim: Claim;
  requestUrl: string;
  requestBody: string | null;
  result: SendResult;
  outcome: DeliveryOutcome;
  retryDelayMs: number | null;
  done: () => void;
};

/** How often a worker deletes the queued dispatches of deleted webhooks (see sweepOrphanedDispatches). */
const ORPHAN_SWEEP_INTERVAL_MS = 60_000;
/** Results written by one statement at most; more wait for the next. */
const RECORD_BATCH_LIMIT = 500;
/** Backoff between attempts to write results while the database refuses. */
const RECORD_RETRY_MIN_MS = 50;
const RECORD_RETRY_MAX_MS = 2_000;

/**
 * The delivery worker, top to bottom: claim due dispatches (one query that also returns the
 * webhook and its live secrets), send each while this worker holds its lease, and record the
 * results in batches (one statement for every result that arrived meanwhile).
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
    { attempt: number; leaseDeadline: number; work: Promise<void> }
  >();
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

  private readonly sql: Sql;

  constructor(private readonly deps: WorkerDependencies) {
    this.workerId = deps.workerId ?? `worker-${randomUUID()}`;
    this.sql = sqlFor(deps.prisma);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.deps.listen) this.unlisten = await this.deps.listen(DISPATCH_CHANNEL, () => this.requestWake());
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

  /** For tests: claims what is due now and delivers it, waiting for every result to be recorded. */
  async runOnce(): Promise<number> {
    const count = await this.claimAndStart(this.deps.settings.batchSize);
    await Promise.allSettled([...this.inFlight.values()].map((entry) => entry.work));
    return count;
  }

  private async sweep(): Promise<void> {
    try {
      const swept = await sweepOrphanedDispatches(this.deps.prisma);
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

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs, batchSize } = this.deps.settings;
    // Claims are made in batches: with a few calls in flight, a worker waits for a batch's worth
    // of free slots instead of claiming one dispatch per finished call (one query per delivery
    // would cost more than the delivery, and results would be recorded one at a time too).
    const claimAtLeast = Math.max(1, Math.min(batchSize, Math.floor(concurrency / 2)));
    while (this.running) {
      let claimed = 0;
      const free = concurrency - this.inFlight.size;
      if (free >= claimAtLeast || (free > 0 && this.inFlight.size === 0)) {
        try {
          claimed = await this.claimAndStart(free);
        } catch (error) {
          this.deps.logger.error({ err: error, workerId: this.workerId }, 'claiming dispatches failed');
        }
      }
      // A full batch means more may be due: claim again at once. Otherwise sleep until a NOTIFY,
      // a finished call (a slot frees), or the poll interval.
      if (claimed > 0 && claimed === Math.min(free, batchSize) && free - claimed >= claimAtLeast) continue;
      if (this.wakeRequested) {
        this.wakeRequested = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Claims up to `limit` due dispatches and starts delivering them; returns how many it claimed. */
  private async claimAndStart(limit: number): Promise<number> {
    const askedAt = performance.now();
    const claims = await this.claim(Math.min(limit, this.deps.settings.batchSize));
    // The database set each lease to its now() + leaseMs, and its now() is no earlier than the
    // moment the query was sent: counting from askedAt never overestimates the lease.
    const leaseDeadline = askedAt + this.deps.settings.leaseMs;
    for (const claim of claims) {
      const entry = { attempt: claim.attempt, leaseDeadline, work: Promise.resolve() };
      this.inFlight.set(claim.id, entry);
      entry.work = this.deliver(claim)
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
   * One statement: lock due dispatches (SKIP LOCKED, so workers never wait for each other), lease
   * them from the database's clock and count the attempt, mark calls a dead worker left
   * unfinished as interrupted, insert this attempt's call row, and return each dispatch with its
   * webhook and live secrets.
   */
  private claim(limit: number): Promise<Claim[]> {
    const { leaseMs } = this.deps.settings;
    const dueAt = this.deps.clock?.() ?? null;
    // A dispatch of a webhook that is not ACTIVE waits (nothing is lost) until it is switched back
    // on; test dispatches (no event) go out whatever the state, since someone asked for them.
    return this.sql.query<Claim>(
      `WITH due AS (
        SELECT d."id" FROM "Dispatch" d JOIN "Webhook" w ON w."id" = d."webhookId"
        WHERE d."status" = 'ACTIVE'
          AND d."nextAttemptAt" <= COALESCE($1::timestamp(3), timezone('UTC', now()))
          AND (d."leaseExpiresAt" IS NULL OR d."leaseExpiresAt" <= timezone('UTC', now()))
          AND (w."state" = 'ACTIVE' OR d."eventId" IS NULL)
        ORDER BY d."nextAttemptAt"
        LIMIT $2
        FOR UPDATE OF d SKIP LOCKED
      ), claimed AS (
        UPDATE "Dispatch" d
        SET "leaseExpiresAt" = timezone('UTC', now()) + $3 * interval '1 millisecond',
            "leasedBy" = $4, "attemptCount" = d."attemptCount" + 1
        FROM due WHERE d."id" = due."id"
        RETURNING d.*
      ), interrupted AS (
        UPDATE "DispatchCall" c SET "finishedAt" = timezone('UTC', now()), "errorMessage" = $5
        FROM claimed
        WHERE claimed."attemptCount" > 1 AND c."dispatchId" = claimed."id"
          AND c."attempt" < claimed."attemptCount" AND c."finishedAt" IS NULL
      ), calls AS (
        INSERT INTO "DispatchCall" ("id", "dispatchId", "webhookId", "attempt", "startedAt")
        SELECT claimed."id" || '-' || claimed."attemptCount", claimed."id", claimed."webhookId",
               claimed."attemptCount", timezone('UTC', now())
        FROM claimed
      )
      SELECT c."id", c."attemptCount" AS "attempt", c."roundStartAttempt", c."userId", c."eventId",
        c."eventType", c."eventData", c."resource", c."createdAt",
        json_build_object(
          'id', w."id", 'requestUrl', w."requestUrl", 'payloadTemplate', w."payloadTemplate",
          'headersTemplate', w."headersTemplate", 'shouldInterpolateStrings', w."shouldInterpolateStrings",
          'headers', w."headers", 'properties', w."properties", 'doNotRetry', w."doNotRetry",
          'ignoreSslErrors', w."ignoreSslErrors") AS "webhook",
        ARRAY(SELECT s."secret" FROM "WebhookSecret" s
              WHERE s."webhookId" = w."id" AND (s."expiresAt" IS NULL OR s."expiresAt" > timezone('UTC', now()))
              ORDER BY s."createdAt" DESC, s."id" DESC) AS "secrets"
      FROM claimed c JOIN "Webhook" w ON w."id" = c."webhookId"`,
      [dueAt?.toISOString() ?? null, limit, leaseMs, this.workerId, INTERRUPTED],
      'ricochet_claim',
    );
  }

  /** Sends one claimed attempt, if the lease still holds, and waits for its result to be recorded. */
  private async deliver(claim: Claim): Promise<void> {
    const { settings, logger } = this.deps;
    // Never start a call on a lease that may have lapsed (renewals failing): another worker may
    // hold the dispatch by now. Its call row stays unfinished; the next holder marks it interrupted.
    if (!this.holdsLease(claim.id, settings.leaseMs / 4)) {
      logger.warn({ dispatchId: claim.id, workerId: this.workerId }, 'lease lapsed before sending; not sent');
      return;
    }
    const { requestUrl, requestBody, result } = await this.send(claim);
    const outcome = this.outcomeOf(claim, result);
    const retriesUsed = claim.attempt - claim.roundStartAttempt - 1;
    const delay =
      outcome === 'retrying' ? retryDelayMs(retriesUsed + 1, settings.retry, result, this.deps.random) : null;
    await new Promise<void>((done) => {
      this.pending.push({ claim, requestUrl, requestBody, result, outcome, retryDelayMs: delay, done });
      this.flushSoon();
    });
    this.deps.metrics?.deliveries.inc({ outcome });
    this.deps.metrics?.attemptDuration.observe(
      { outcome },
      (result.finishedAt.getTime() - result.startedAt.getTime()) / 1000,
    );
    logger.info(
      {
        dispatchId: claim.id,
        webhookId: claim.webhook.id,
        attempt: claim.attempt,
        outcome,
        responseStatus: result.responseStatus,
        errorMessage: result.errorMessage,
        workerId: this.workerId,
      },
      'delivery attempt',
    );
  }

  private async send(claim: Claim): Promise<Attempt> {
    const { settings } = this.deps;
    const variables: TemplateVariables = {
      userId: claim.userId,
      createdAt: claim.createdAt.toISOString(),
      eventType: claim.eventType,
      eventData: claim.eventData ?? null,
      resource: claim.resource ?? null,
    };
    const now = new Date();
    try {
      const request = buildDeliveryRequest({
        webhook: claim.webhook,
        message: { dispatchId: claim.id, variables },
        secrets: claim.secrets,
        now,
        requestOrigin: settings.requestOrigin,
      });
      const result = await this.deps.sender.send({
        ...request,
        timeoutMs: settings.attemptTimeoutMs,
        ignoreSslErrors: claim.webhook.ignoreSslErrors,
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
      return { requestUrl: claim.webhook.requestUrl, requestBody: null, result };
    }
  }

  private outcomeOf(claim: Claim, result: SendResult): DeliveryOutcome {
    const status = result.responseStatus;
    if (status !== null && status >= 200 && status < 300) return 'succeeded';
    const retriesUsed = claim.attempt - claim.roundStartAttempt - 1;
    const giveUp =
      status === 410 || claim.webhook.doNotRetry || retriesUsed >= this.deps.settings.retry.maxRetries;
    return giveUp ? 'failed' : 'retrying';
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

  /**
   * One statement for the whole batch: each call row gets its result and the request it sent, and
   * each dispatch moves on (SUCCEEDED, FAILED or rescheduled) only where this worker still holds the
   * claim for that attempt. Then the webhooks that a 410 or a run of failures must stop are updated:
   * rare, and the only webhook-row writes on the delivery path.
   */
  private async record(batch: PendingResult[]): Promise<void> {
    const { prisma } = this.deps;
    const rows = batch.map(({ claim, requestUrl, requestBody, result, outcome, retryDelayMs }) => ({
      id: claim.id,
      attempt: claim.attempt,
      startedAt: result.startedAt.toISOString(),
      finishedAt: result.finishedAt.toISOString(),
      requestUrl,
      requestHeaders: storedHeaders(result.requestHeaders),
      requestBody: requestBody === null ? null : storedRequestBody(requestBody),
      responseStatus: result.responseStatus,
      responseHeaders: result.responseStatus === null ? null : storedHeaders(result.responseHeaders),
      responseBody: result.responseBody,
      errorMessage: result.errorMessage,
      outcome,
      retryDelayMs,
    }));
    const dueBase = this.deps.clock?.() ?? null;
    const moved = await this.sql.query<{ id: string }>(
      `WITH r AS (
        SELECT * FROM json_to_recordset($1::json) AS r(
          "id" text, "attempt" int, "startedAt" timestamp(3), "finishedAt" timestamp(3),
          "requestUrl" text, "requestHeaders" json, "requestBody" text,
          "responseStatus" int, "responseHeaders" json, "responseBody" text,
          "errorMessage" text, "outcome" text, "retryDelayMs" bigint)
      ), moved AS (
        UPDATE "Dispatch" d SET
          "status" = (CASE r."outcome" WHEN 'succeeded' THEN 'SUCCEEDED' WHEN 'failed' THEN 'FAILED'
                      ELSE 'ACTIVE' END)::"DispatchStatus",
          "finishedAt" = CASE WHEN r."outcome" = 'retrying' THEN NULL ELSE r."finishedAt" END,
          "nextAttemptAt" = CASE WHEN r."outcome" = 'retrying'
            THEN COALESCE($2::timestamp(3), timezone('UTC', now())) + r."retryDelayMs" * interval '1 millisecond'
            END,
          "leaseExpiresAt" = NULL, "leasedBy" = NULL
        FROM r
        WHERE d."id" = r."id" AND d."leasedBy" = $3 AND d."attemptCount" = r."attempt"
          AND d."status" = 'ACTIVE'
        RETURNING d."id"
      ), calls AS (
        UPDATE "DispatchCall" c SET
          "startedAt" = r."startedAt", "finishedAt" = r."finishedAt",
          "requestUrl" = r."requestUrl", "requestHeaders" = r."requestHeaders",
          "requestBody" = r."requestBody", "responseStatus" = r."responseStatus",
          "responseHeaders" = r."responseHeaders", "responseBody" = r."responseBody",
          "errorMessage" = r."errorMessage",
          "outcome" = CASE WHEN r."id" IN (SELECT "id" FROM moved) THEN r."outcome" END
        FROM r WHERE c."dispatchId" = r."id" AND c."attempt" = r."attempt"
      )
      SELECT "id" FROM moved`,
      [JSON.stringify(rows), dueBase?.toISOString() ?? null, this.workerId],
      'ricochet_record',
    );

    const movedIds = new Set(moved.map((row) => row.id));
    const lost = batch.filter((entry) => !movedIds.has(entry.claim.id));
    for (const entry of lost) {
      // Its own call row has the answer; the dispatch belongs to the worker that took it over.
      this.deps.logger.warn(
        { dispatchId: entry.claim.id, attempt: entry.claim.attempt, workerId: this.workerId },
        'lease lost during the call: the result is kept on its call, the dispatch is left to its new holder',
      );
    }
    const failedHere = batch.filter(
      (entry) => movedIds.has(entry.claim.id) && entry.outcome === 'failed' && entry.claim.eventId !== null,
    );
    const gone = batch.filter(
      (entry) =>
        movedIds.has(entry.claim.id) && entry.outcome === 'failed' && entry.result.responseStatus === 410,
    );
    if (failedHere.length > 0 || gone.length > 0) {
      await stopWebhooksAfterFailures(prisma, {
        goneWebhookIds: [...new Set(gone.map((entry) => entry.claim.webhook.id))],
        failedWebhookIds: [...new Set(failedHere.map((entry) => entry.claim.webhook.id))],
        threshold: this.deps.settings.failureThreshold,
      });
    }
  }

  /**
   * Extends the leases of the dispatches in flight (database clock); a dispatch whose lease was
   * taken over is dropped from the renewal, so it will not be sent if it has not been yet.
   */
  private async renewLeases(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const { leaseMs } = this.deps.settings;
    await this.serially(async () => {
      const held = [...this.inFlight.entries()];
      if (held.length === 0) return;
      const askedAt = performance.now();
      try {
        const renewed = await this.sql.query<{ id: string }>(
          `UPDATE "Dispatch" d SET "leaseExpiresAt" = timezone('UTC', now()) + $1 * interval '1 millisecond'
          FROM unnest($2::text[], $3::int[]) AS h("id", "attempt")
          WHERE d."id" = h."id" AND d."attemptCount" = h."attempt" AND d."leasedBy" = $4
            AND d."status" = 'ACTIVE'
          RETURNING d."id"`,
          [leaseMs, held.map(([id]) => id), held.map(([, entry]) => entry.attempt), this.workerId],
          'ricochet_renew_leases',
        );
        for (const { id } of renewed) {
          const entry = this.inFlight.get(id);
          if (entry) entry.leaseDeadline = askedAt + leaseMs;
        }
      } catch (error) {
        this.deps.logger.warn({ err: error, workerId: this.workerId }, 'renewing leases failed');
      }
    });
  }
}
