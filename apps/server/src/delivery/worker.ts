import { randomUUID } from 'node:crypto';
import type { TemplateVariables } from '@ricochet/schema';
import type { Logger } from 'pino';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { DISPATCH_CHANNEL } from '../services/events.ts';
import type { HttpSender, SendResult } from './http-sender.ts';
import type { DeliveryOutcome, Metrics } from './metrics.ts';
import { buildDeliveryRequest, type DeliveryWebhook, TemplateRenderError } from './payload.ts';
import { type RetryPolicy, retryDelayMs } from './retry-schedule.ts';

export type WorkerSettings = {
  retry: RetryPolicy;
  /** How long a claim holds; renewed while the call runs, so only a dead worker's claims lapse. */
  leaseMs: number;
  attemptTimeoutMs: number;
  batchSize: number;
  /** Calls in flight at once in this process. */
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
  /** Injected in tests to drive the retry schedule without waiting. */
  clock?: () => Date;
  random?: () => number;
};

type ClaimedDispatch = { id: string; attemptCount: number; roundStartAttempt: number };

const INTERRUPTED = 'Interrupted: the worker delivering this attempt stopped before it finished.';

/**
 * The delivery worker. The dispatch rows are the queue: it claims due rows with
 * FOR UPDATE SKIP LOCKED under a lease, so any number of workers on one database deliver each
 * attempt once; a crashed worker's rows come back when its lease lapses.
 */
export class DeliveryWorker {
  readonly workerId: string;
  private readonly inFlight = new Map<string, Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** A wake-up (NOTIFY, a freed slot) that came while the loop was busy claiming, not asleep. */
  private wakeRequested = false;
  private unlisten: (() => Promise<void>) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: WorkerDependencies) {
    this.workerId = deps.workerId ?? `worker-${randomUUID()}`;
    this.now = deps.clock ?? (() => new Date());
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.deps.listen) this.unlisten = await this.deps.listen(DISPATCH_CHANNEL, () => this.requestWake());
    const { leaseMs } = this.deps.settings;
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(leaseMs / 3)));
    this.heartbeat.unref();
    this.loop = this.run();
  }

  private requestWake(): void {
    if (this.wake) this.wake();
    else this.wakeRequested = true;
  }

  /** Stops claiming, lets the calls in flight finish and be recorded, then returns. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.requestWake();
    await this.loop;
    await Promise.allSettled(this.inFlight.values());
    clearInterval(this.heartbeat);
    await this.unlisten?.();
  }

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs } = this.deps.settings;
    while (this.running) {
      let claimed = 0;
      const free = concurrency - this.inFlight.size;
      if (free > 0) {
        try {
          claimed = await this.claimAndStart(free);
        } catch (error) {
          this.deps.logger.error({ err: error, workerId: this.workerId }, 'claiming dispatches failed');
        }
      }
      // A full batch means more may be due: claim again at once. Otherwise sleep until a NOTIFY,
      // a finished call (a slot frees), or the poll interval.
      if (claimed > 0 && claimed === Math.min(free, this.deps.settings.batchSize)) continue;
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
  async claimAndStart(limit: number): Promise<number> {
    const claimed = await this.claim(Math.min(limit, this.deps.settings.batchSize));
    for (const dispatch of claimed) {
      const work = this.deliver(dispatch)
        .catch((error: unknown) => {
          this.deps.logger.error(
            { err: error, dispatchId: dispatch.id, workerId: this.workerId },
            'delivery failed',
          );
        })
        .finally(() => {
          this.inFlight.delete(dispatch.id);
          this.requestWake();
        });
      this.inFlight.set(dispatch.id, work);
    }
    return claimed.length;
  }

  /** For tests: claims what is due now and delivers it, waiting for every call to be recorded. */
  async runOnce(): Promise<number> {
    const count = await this.claimAndStart(this.deps.settings.batchSize);
    await Promise.allSettled(this.inFlight.values());
    return count;
  }

  private async claim(limit: number): Promise<ClaimedDispatch[]> {
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + this.deps.settings.leaseMs);
    // A dispatch of a webhook that is not ACTIVE waits (nothing is lost) until it is switched back
    // on; test dispatches (no event) go out whatever the state, since someone asked for them.
    return this.deps.prisma.$queryRaw<ClaimedDispatch[]>`
      WITH due AS (
        SELECT d."id" FROM "Dispatch" d JOIN "Webhook" w ON w."id" = d."webhookId"
        WHERE d."status" = 'ACTIVE' AND d."nextAttemptAt" <= ${now}
          AND (d."leaseExpiresAt" IS NULL OR d."leaseExpiresAt" <= ${now})
          AND (w."state" = 'ACTIVE' OR d."eventId" IS NULL)
        ORDER BY d."nextAttemptAt"
        LIMIT ${limit}
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE "Dispatch" d
      SET "leaseExpiresAt" = ${leaseUntil}, "leasedBy" = ${this.workerId}, "attemptCount" = d."attemptCount" + 1
      FROM due WHERE d."id" = due."id"
      RETURNING d."id", d."attemptCount", d."roundStartAttempt"`;
  }

  private async renewLeases(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const leaseUntil = new Date(this.now().getTime() + this.deps.settings.leaseMs);
    try {
      await this.deps.prisma.$executeRaw`
        UPDATE "Dispatch" SET "leaseExpiresAt" = ${leaseUntil}
        WHERE "id" = ANY(${[...this.inFlight.keys()]}::text[]) AND "leasedBy" = ${this.workerId} AND "status" = 'ACTIVE'`;
    } catch (error) {
      this.deps.logger.warn({ err: error, workerId: this.workerId }, 'renewing leases failed');
    }
  }

  private async deliver(claimed: ClaimedDispatch): Promise<void> {
    const { prisma, settings, logger } = this.deps;
    const now = this.now();
    const dispatch = await prisma.dispatch.findUnique({
      where: { id: claimed.id },
      include: {
        webhook: {
          include: {
            // Newest first: it also keys the single X-SuperOffice-Signature.
            secrets: {
              where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
              orderBy: { createdAt: 'desc' },
            },
          },
        },
        event: { select: { createdAt: true } },
      },
    });
    if (!dispatch) return;
    const attempt = claimed.attemptCount;

    // Calls left unfinished by a worker that died mid-call say so, instead of looking in progress.
    if (attempt > 1) {
      await prisma.dispatchCall.updateMany({
        where: { dispatchId: dispatch.id, finishedAt: null, attempt: { lt: attempt } },
        data: { finishedAt: now, errorMessage: INTERRUPTED },
      });
    }
    // The unique (dispatchId, attempt) row is the last guard against one attempt being made twice.
    try {
      await prisma.dispatchCall.create({
        data: { id: `${dispatch.id}-${attempt}`, dispatchId: dispatch.id, attempt, startedAt: now },
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return;
      throw error;
    }

    const { webhook } = dispatch;
    const variables: TemplateVariables = {
      userId: dispatch.userId,
      createdAt: (dispatch.event?.createdAt ?? dispatch.createdAt).toISOString(),
      eventType: dispatch.eventType,
      eventData: dispatch.eventData ?? null,
      resource: dispatch.resource ?? null,
    };
    let result: SendResult;
    try {
      const request = buildDeliveryRequest({
        webhook: webhook as DeliveryWebhook,
        message: { dispatchId: dispatch.id, variables },
        secrets: webhook.secrets.map((s) => s.secret),
        now,
        requestOrigin: settings.requestOrigin,
      });
      result = await this.deps.sender.send({
        ...request,
        timeoutMs: settings.attemptTimeoutMs,
        ignoreSslErrors: webhook.ignoreSslErrors,
      });
    } catch (error) {
      if (!(error instanceof TemplateRenderError)) throw error;
      const at = this.now();
      result = {
        startedAt: at,
        finishedAt: at,
        responseStatus: null,
        responseHeaders: {},
        responseBody: null,
        errorMessage: error.message,
        retryAfterMs: null,
      };
    }
    const outcome = await this.record(dispatch, attempt, claimed.roundStartAttempt, result);
    this.deps.metrics?.deliveries.inc({ outcome });
    this.deps.metrics?.attemptDuration.observe(
      { outcome },
      (result.finishedAt.getTime() - result.startedAt.getTime()) / 1000,
    );
    logger.info(
      {
        dispatchId: dispatch.id,
        webhookId: webhook.id,
        attempt,
        outcome,
        responseStatus: result.responseStatus,
        errorMessage: result.errorMessage,
        workerId: this.workerId,
      },
      'delivery attempt',
    );
  }

  /** Stores the call and moves the dispatch and its webhook on, in one transaction. */
  private async record(
    dispatch: { id: string; webhookId: string; eventId: string | null; webhook: { doNotRetry: boolean } },
    attempt: number,
    roundStartAttempt: number,
    result: SendResult,
  ): Promise<DeliveryOutcome> {
    const { settings } = this.deps;
    const succeeded =
      result.responseStatus !== null && result.responseStatus >= 200 && result.responseStatus < 300;
    const gone = result.responseStatus === 410;
    const retriesUsed = attempt - roundStartAttempt - 1;
    const giveUp =
      !succeeded && (gone || dispatch.webhook.doNotRetry || retriesUsed >= settings.retry.maxRetries);
    const outcome: DeliveryOutcome = succeeded ? 'succeeded' : giveUp ? 'failed' : 'retrying';
    const finishedAt = result.finishedAt;
    const nextAttemptAt =
      outcome === 'retrying'
        ? new Date(
            this.now().getTime() + retryDelayMs(retriesUsed + 1, settings.retry, result, this.deps.random),
          )
        : null;
    const isTest = dispatch.eventId === null;

    await this.deps.prisma.$transaction(async (tx) => {
      await tx.dispatchCall.update({
        where: { dispatchId_attempt: { dispatchId: dispatch.id, attempt } },
        data: {
          startedAt: result.startedAt,
          finishedAt,
          responseStatus: result.responseStatus,
          responseBody: result.responseBody,
          errorMessage: result.errorMessage,
        },
      });
      // Only the holder of this attempt's claim may move the dispatch on.
      const { count } = await tx.dispatch.updateMany({
        where: { id: dispatch.id, leasedBy: this.workerId, attemptCount: attempt, status: 'ACTIVE' },
        data: {
          status: outcome === 'succeeded' ? 'SUCCEEDED' : outcome === 'failed' ? 'FAILED' : 'ACTIVE',
          finishedAt: outcome === 'retrying' ? null : finishedAt,
          nextAttemptAt,
          leaseExpiresAt: null,
          leasedBy: null,
        },
      });
      if (count === 0 || outcome === 'retrying') return;
      if (succeeded) {
        await tx.webhook.update({
          where: { id: dispatch.webhookId },
          data: {
            ...(!isTest && { consecutiveFailures: 0 }),
            lastDispatchStatus: 'SUCCEEDED',
            lastDispatchFinishedAt: finishedAt,
          },
        });
        return;
      }
      // A failed test says nothing about the real traffic, so it does not count towards TOO_MANY_ERRORS.
      const failures = isTest ? 0 : 1;
      await tx.$executeRaw`
        UPDATE "Webhook" SET
          "consecutiveFailures" = "consecutiveFailures" + ${failures},
          "lastDispatchStatus" = 'FAILED',
          "lastDispatchFinishedAt" = ${finishedAt},
          "state" = CASE
            WHEN ${gone} THEN 'STOPPED'::"WebhookState"
            WHEN "state" = 'ACTIVE' AND "consecutiveFailures" + ${failures} >= ${settings.failureThreshold}
              THEN 'TOO_MANY_ERRORS'::"WebhookState"
            ELSE "state" END,
          "modifiedAt" = CASE WHEN ${gone} OR ("state" = 'ACTIVE' AND "consecutiveFailures" + ${failures} >= ${settings.failureThreshold})
              THEN ${finishedAt} ELSE "modifiedAt" END
        WHERE "id" = ${dispatch.webhookId}`;
    });
    return outcome;
  }
}
