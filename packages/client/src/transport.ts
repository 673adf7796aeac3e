import { isRicochetError, RicochetError, type RicochetErrorType } from './errors.ts';
import {
  backoffDelay,
  parseRetryAfter,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
  sleep,
} from './retry.ts';

/** The one thing the client needs of the platform: WHATWG fetch (Node 18+, Bun, Deno, browsers). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type TransportOptions = {
  /** Where Ricochet answers, e.g. `https://hooks.example.com` (no `/v2`). */
  baseUrl: string;
  /** An API token (`Authorization: Bearer`). */
  token: string;
  /** A fetch to use instead of the global one (a proxy agent, a test double, a custom transport). */
  fetch?: FetchLike;
  /** Retrying transient failures; `false` turns it off. See RetryOptions for the defaults. */
  retry?: RetryOptions | false;
  /** Per-attempt timeout (default 30 s); an attempt that takes longer counts as a network error. */
  timeoutMs?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
};

export type QueryValue = string | number | boolean | undefined;

export type ApiCall = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the base URL, ids already encoded. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /**
   * Whether sending the request twice has the effect of sending it once: GET, PUT, DELETE, and a POST
   * carrying an idempotency key. Only these are retried after an answer that may come from a request
   * the server did carry out (502, 503, 504, a dropped connection); anything is retried after 429,
   * which the rate limiter answers before the request is handled.
   */
  repeatable: boolean;
  signal?: AbortSignal;
};

/** Per-call options every method takes. */
export type CallOptions = { signal?: AbortSignal };

const RETRY_ALWAYS = new Set([429]);
const RETRY_IF_REPEATABLE = new Set([502, 503, 504]);

export type Transport = { call<Data>(call: ApiCall): Promise<Data> };

export function createTransport(options: TransportOptions): Transport {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // Looked up per call, not bound once: a fetch installed later (polyfill, test interceptor) is used,
  // and browsers' fetch is never called with a wrong `this`.
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const policy: RetryPolicy = retryPolicy(options.retry);
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function attempt(call: ApiCall): Promise<{ status: number; headers: Headers; text: string }> {
    const url = new URL(`${baseUrl}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const signals = [AbortSignal.timeout(timeoutMs), ...(call.signal ? [call.signal] : [])];
    const response = await doFetch(url.toString(), {
      method: call.method,
      headers: {
        accept: 'application/json',
        ...options.headers,
        authorization: `Bearer ${options.token}`,
        ...(call.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
      signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  return {
    async call<Data>(call: ApiCall): Promise<Data> {
      // Set once an attempt may have been carried out without us seeing the answer (dropped
      // connection, 502/504): a repeated DELETE that then finds nothing has done its job.
      let mayHaveApplied = false;
      for (let attempts = 1; ; attempts++) {
        let error: RicochetError;
        let retryAfterMs: number | undefined;
        try {
          const answer = await attempt(call);
          if (answer.status >= 200 && answer.status < 300) return parseData<Data>(answer, attempts);
          error = parseError(answer, attempts);
          retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'));
          if (call.method === 'DELETE' && mayHaveApplied && error.type === 'record-not-found') {
            return undefined as Data;
          }
          const retryable =
            RETRY_ALWAYS.has(answer.status) || (call.repeatable && RETRY_IF_REPEATABLE.has(answer.status));
          if (answer.status === 502 || answer.status === 504) mayHaveApplied = true;
          if (!retryable) throw error;
        } catch (thrown) {
          if (isRicochetError(thrown)) throw thrown;
          // The caller's own abort is final; only our per-attempt timeout is a transient failure.
          if (call.signal?.aborted) throw call.signal.reason;
          error = networkError(thrown, attempts);
          mayHaveApplied = true;
          if (!call.repeatable) throw error;
        }
        if (attempts > policy.retries) throw error;
        if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) throw error;
        await sleep(retryAfterMs ?? backoffDelay(policy, attempts - 1), call.signal);
      }
    },
  };
}

function parseData<Data>(answer: { status: number; text: string }, attempts: number): Data {
  if (answer.status === 204 || answer.text === '') return undefined as Data;
  try {
    return (JSON.parse(answer.text) as { data: Data }).data;
  } catch {
    throw unexpected(answer, attempts);
  }
}

function parseError(
  answer: { status: number; headers: Headers; text: string },
  attempts: number,
): RicochetError {
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return unexpected(answer, attempts);
  }
  const envelope = (body as { error?: { type?: unknown; message?: unknown } } | null)?.error;
  if (typeof envelope?.type !== 'string' || typeof envelope.message !== 'string') {
    return unexpected(answer, attempts);
  }
  const retryAfter = answer.headers.get('retry-after');
  return new RicochetError({
    // A newer server may answer a type this client does not list; it is passed on as it came.
    type: envelope.type as RicochetErrorType,
    status: answer.status,
    message: envelope.message,
    retryAfterSeconds: retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined,
    attempts,
  });
}

function unexpected(answer: { status: number; text: string }, attempts: number): RicochetError {
  return new RicochetError({
    type: 'unexpected-response',
    status: answer.status,
    message: `Unexpected answer (HTTP ${answer.status}): ${answer.text.slice(0, 200) || '(empty body)'}`,
    attempts,
  });
}

function networkError(cause: unknown, attempts: number): RicochetError {
  const reason = cause instanceof Error ? cause : new Error(String(cause));
  const code = (reason.cause as { code?: unknown } | undefined)?.code;
  const detail = reason.name === 'TimeoutError' ? 'the request timed out' : reason.message;
  return new RicochetError({
    type: 'network-error',
    status: 0,
    message: `No answer from Ricochet: ${detail}${typeof code === 'string' ? ` (${code})` : ''}`,
    attempts,
    cause,
  });
}
