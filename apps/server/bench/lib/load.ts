import { Pool as HttpPool } from 'undici';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return false;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export type LoadResult = {
  ok: number;
  errors5xx: number;
  otherErrors: number;
  /** The first call that threw (no answer), for the log. */
  firstThrown?: string;
  latencies: number[];
  elapsedMs: number;
};

function tally(result: LoadResult, status: number): void {
  if (status >= 500) result.errors5xx++;
  else if (status >= 400) result.otherErrors++;
  else result.ok++;
}

/** `concurrency` loops calling `call` until `durationMs` or `maxCalls` is reached. */
export async function closedLoop(args: {
  concurrency: number;
  durationMs: number;
  maxCalls?: number;
  call: () => Promise<number>;
}): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, errors5xx: 0, otherErrors: 0, latencies: [], elapsedMs: 0 };
  const start = performance.now();
  const deadline = start + args.durationMs;
  let started = 0;
  const maxCalls = args.maxCalls ?? Number.POSITIVE_INFINITY;
  await Promise.all(
    Array.from({ length: args.concurrency }, async () => {
      while (performance.now() < deadline && started < maxCalls) {
        started++;
        const t0 = performance.now();
        try {
          tally(result, await args.call());
        } catch (error) {
          result.otherErrors++;
          result.firstThrown ??= String(error);
        }
        result.latencies.push(performance.now() - t0);
      }
    }),
  );
  result.elapsedMs = performance.now() - start;
  return result;
}

/** Calls at a fixed rate (open loop), at most 1,000 in flight. */
export async function openLoop(args: {
  ratePerSec: number;
  durationMs: number;
  call: () => Promise<number>;
}): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, errors5xx: 0, otherErrors: 0, latencies: [], elapsedMs: 0 };
  const start = performance.now();
  const total = Math.floor((args.ratePerSec * args.durationMs) / 1000);
  const calls: Array<Promise<void>> = [];
  let inFlight = 0;
  for (let index = 0; index < total; index++) {
    const due = start + (index * 1000) / args.ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= 1_000) {
      result.otherErrors++;
      continue;
    }
    inFlight++;
    const t0 = performance.now();
    calls.push(
      args
        .call()
        .then((status) => tally(result, status))
        .catch(() => {
          result.otherErrors++;
        })
        .finally(() => {
          inFlight--;
          result.latencies.push(performance.now() - t0);
        }),
    );
  }
  await Promise.all(calls);
  result.elapsedMs = performance.now() - start;
  return result;
}

/** A keep-alive HTTP client for one path of one server, with the token when given. */
export function poster(baseUrl: string, connections: number, path: string, token?: string) {
  const client = new HttpPool(baseUrl, { connections, keepAliveTimeout: 60_000 });
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const failures = { count: 0, first: null as string | null };
  return {
    /** How many posts were answered 4xx or 5xx, and the first one's status and body. */
    failures,
    post: async (body: string, postPath = path) => {
      const response = await client.request({
        method: 'POST',
        path: postPath,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      if (response.statusCode >= 400) {
        failures.count++;
        const text = await response.body.text();
        failures.first ??= `${response.statusCode} ${text.slice(0, 300)}`;
      } else await response.body.dump();
      return response.statusCode;
    },
    postJson: async (body: string, postPath = path) => {
      const response = await client.request({
        method: 'POST',
        path: postPath,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      return { status: response.statusCode, body: (await response.body.json()) as unknown };
    },
    get: async (getPath: string) => {
      const response = await client.request({ method: 'GET', path: getPath, headers });
      await response.body.dump();
      return response.statusCode;
    },
    close: () => client.close(),
  };
}

/** The body of a benchmark publish: ACTOR.RUN.SUCCEEDED with sentAt for publish → receipt latency. */
export function publishBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventType: 'ACTOR.RUN.SUCCEEDED',
    eventData: { actorId: 'benchActor', sentAt: Date.now(), ...extra },
  });
}
