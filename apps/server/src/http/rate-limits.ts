import { TRPC_MAX_BATCH_SIZE } from '@ricochet/schema';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../services/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route is not counted against any budget (health checks, docs, OPTIONS). */
    rateLimit?: false;
  }
}

/** Keys tracked at most; past it the oldest windows are dropped (a flood of new addresses cannot grow memory). */
const MAX_TRACKED_KEYS = 100_000;

type Window = { used: number; resetAt: number };

/**
 * Fixed-window request budgets per key, in this process's memory: `max` units per `windowMs`. A
 * request takes as many units as it does things (a tRPC batch: one per procedure), so batching
 * cannot multiply a budget.
 */
export class RequestBudgets {
  readonly #windows = new Map<string, Window>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Takes `units` from the key's budget; refused (and nothing taken) when they do not fit. */
  take(
    key: string,
    units: number,
    now = Date.now(),
  ): { allowed: boolean; remaining: number; resetAt: number } {
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      this.#windows.delete(key);
      window = { used: 0, resetAt: now + this.windowMs };
      this.#remember(key, window, now);
    }
    const allowed = window.used + units <= this.max;
    if (allowed) window.used += units;
    return { allowed, remaining: this.max - window.used, resetAt: window.resetAt };
  }

  #remember(key: string, window: Window, now: number): void {
    if (this.#windows.size >= MAX_TRACKED_KEYS) {
      for (const [oldKey, oldWindow] of this.#windows) {
        if (oldWindow.resetAt <= now || this.#windows.size >= MAX_TRACKED_KEYS) this.#windows.delete(oldKey);
        if (this.#windows.size < MAX_TRACKED_KEYS / 2) break;
      }
    }
    this.#windows.set(key, window);
  }
}

/**
 * How many procedures a /trpc request calls: tRPC batches them as `/trpc/a,b,c?batch=1`. Any other
 * request is one.
 */
export function proceduresIn(request: FastifyRequest): number {
  if (!request.url.startsWith('/trpc/')) return 1;
  const queryAt = request.url.indexOf('?');
  if (queryAt === -1) return 1;
  const query = new URLSearchParams(request.url.slice(queryAt + 1));
  if (query.get('batch') !== '1') return 1;
  return request.url.slice('/trpc/'.length, queryAt).split(',').length;
}

/**
 * The per-token budget (per client address for requests without a valid token, so guessing tokens
 * is limited too), taken in the onRequest hook after authentication. A tRPC batch takes one unit
 * per procedure, and one with more than TRPC_MAX_BATCH_SIZE procedures is refused outright.
 */
export function enforceRequestBudget(budgets: RequestBudgets) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config?.rateLimit === false) return;
    const procedures = proceduresIn(request);
    const key = request.principal ? `token:${request.principal.tokenId}` : `ip:${request.ip}`;
    const { allowed, remaining, resetAt } = budgets.take(key, Math.min(procedures, TRPC_MAX_BATCH_SIZE + 1));
    const resetSeconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
    reply.header('x-ratelimit-limit', budgets.max);
    reply.header('x-ratelimit-remaining', remaining);
    reply.header('x-ratelimit-reset', resetSeconds);
    if (!allowed) {
      throw new AppError(
        'rate-limit-exceeded',
        `Rate limit exceeded: at most ${budgets.max} requests (tRPC: procedures) per ${budgets.windowMs / 1000} s. Retry later.`,
        { retryAfterSeconds: resetSeconds },
      );
    }
    if (procedures > TRPC_MAX_BATCH_SIZE) {
      throw new AppError(
        'invalid-input',
        `Invalid input: a tRPC batch may call at most ${TRPC_MAX_BATCH_SIZE} procedures (this one calls ${procedures}).`,
      );
    }
  };
}
