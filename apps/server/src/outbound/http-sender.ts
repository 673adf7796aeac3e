import { isIP } from 'node:net';
import { RESPONSE_BODY_LIMIT } from '@ricochet/schema';
import type { Dispatcher } from 'undici';
import { Agent } from 'undici';
import { hostKeyOf } from './host-key.ts';
import type { LookupFunction, OutboundPolicy } from './outbound-guard.ts';
import {
  createGuardedConnector,
  FORBIDDEN_ADDRESS_CODE,
  forbiddenAddressReason,
  unbracketHost,
} from './outbound-guard.ts';

export type HttpSenderOptions = {
  policy: OutboundPolicy;
  /** Calls in flight to one `host:port` at most; the rest wait for a slot. Default 10. */
  maxConcurrentPerHost?: number;
  /** Response body bytes kept per call. Default RESPONSE_BODY_LIMIT. */
  responseBodyLimit?: number;
  userAgent: string;
  /** Resolver to use instead of dns.lookup (tests map names to addresses without DNS). */
  lookup?: LookupFunction;
};

export type SendRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Covers connecting, waiting for the headers and reading the body; not the wait for a slot. */
  timeoutMs: number;
  ignoreSslErrors: boolean;
  /** Replaces the sender's User-Agent for this call (SuperOffice's test call has its own form). */
  userAgent?: string;
};

export type SendResult = {
  /**
   * The headers handed to the HTTP client (the given ones with this sender's User-Agent and, for a
   * URL with credentials, Authorization); undici adds only host, content-length and connection.
   * Also set when the call was refused before connecting: what it would have sent.
   */
  requestHeaders: Record<string, string>;
  /** When the call got its slot and started connecting (or when it was refused before that). */
  startedAt: Date;
  finishedAt: Date;
  /** null when no response arrived. */
  responseStatus: number | null;
  responseHeaders: Record<string, string>;
  /** At most responseBodyLimit bytes, decoded as UTF-8, plus a marker when cut; null without a response. */
  responseBody: string | null;
  /**
   * Why the call did not get a complete response, or why it is not a delivery (a redirect). null
   * for any other complete response, whatever its status: the caller judges statuses.
   */
  errorMessage: string | null;
  /** From Retry-After (delay-seconds or an HTTP date), on whatever status carried it. */
  retryAfterMs: number | null;
};

const DEFAULT_MAX_CONCURRENT_PER_HOST = 10;
// Bytes read and thrown away past the kept part so the keep-alive connection can be reused for the
// next call. Past this the connection is closed instead: cheaper than reading a stream that may not end.
const DRAIN_LIMIT_BYTES = 1024 * 1024;
/** URLs whose parsed form a sender keeps; past this it starts over (see targetOf). */
const TARGET_CACHE_SIZE = 10_000;
// undici's own connect timeout; the per-call timer usually fires first.
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The per-host bound is a keyed semaphore here rather than undici's per-origin `connections` limit:
 * undici keys pools by origin and we have two agents (strict and ignoreSslErrors TLS), so its limit
 * would not be one bound per host; its queue cannot be observed for metrics; and a call queued inside
 * undici is already running its timeout, so a backlog behind one slow host would fail calls that
 * were never sent. Here a call's timeout starts when it gets its slot.
 */
class KeyedSemaphore {
  private readonly entries = new Map<
    string,
    { active: number; waiters: Array<(granted: boolean) => void> }
  >();

  constructor(private readonly limit: number) {}

  /** A release function if a slot is free now; otherwise null (then wait with acquire). */
  tryAcquire(key: string): (() => void) | null {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { active: 0, waiters: [] };
      this.entries.set(key, entry);
    }
    if (entry.active >= this.limit) return null;
    entry.active += 1;
    return this.releaser(key);
  }

  /** Resolves to a release function, or null when the semaphore was closed while waiting. */
  async acquire(key: string): Promise<(() => void) | null> {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { active: 0, waiters: [] };
      this.entries.set(key, entry);
    }
    if (entry.active < this.limit) {
      entry.active += 1;
    } else {
      const waiting = entry.waiters;
      // The slot is handed over by release(), which keeps `active` counting this call.
      const granted = await new Promise<boolean>((resolve) => waiting.push(resolve));
      if (!granted) return null;
    }
    return this.releaser(key);
  }

  private releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(key);
    };
  }

  private release(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    const next = entry.waiters.shift();
    if (next !== undefined) {
      next(true);
      return;
    }
    entry.active -= 1;
    if (entry.active === 0) this.entries.delete(key);
  }

  active(key: string): number {
    return this.entries.get(key)?.active ?? 0;
  }

  waiting(key: string): number {
    return this.entries.get(key)?.waiters.length ?? 0;
  }

  rejectAllWaiters(): void {
    for (const entry of this.entries.values()) {
      for (const waiter of entry.waiters.splice(0)) waiter(false);
    }
  }
}

/** Milliseconds to wait from a Retry-After value (delay-seconds or HTTP date), or null if unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : null;
  }
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

type ErrorLike = { code?: unknown; message?: unknown; address?: unknown; port?: unknown };

/** The innermost error that carries a code: undici and net wrap (cause) or aggregate (happy eyeballs). */
function rootError(error: unknown): ErrorLike {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth += 1) {
    if (typeof current !== 'object' || current === null) break;
    const candidate = current as ErrorLike & { cause?: unknown; errors?: unknown };
    if (typeof candidate.code === 'string' && !(current instanceof AggregateError)) return candidate;
    if (current instanceof AggregateError && Array.isArray(candidate.errors) && candidate.errors.length > 0) {
      current = candidate.errors[0];
    } else if (candidate.cause !== undefined) {
      current = candidate.cause;
    } else {
      return candidate;
    }
  }
  return typeof current === 'object' && current !== null
    ? (current as ErrorLike)
    : { message: String(current) };
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

function describeError(error: unknown, url: URL): string {
  const root = rootError(error);
  const code = typeof root.code === 'string' ? root.code : undefined;
  const message = typeof root.message === 'string' ? root.message : String(error);
  const hostname = unbracketHost(url.hostname);
  const target =
    typeof root.address === 'string' && typeof root.port === 'number'
      ? `${root.address}:${root.port}`
      : hostKeyOf(url);
  switch (code) {
    case FORBIDDEN_ADDRESS_CODE:
      return message;
    case 'ECONNREFUSED':
      return `Connection refused (ECONNREFUSED) to ${target}`;
    case 'ENOTFOUND':
      return `DNS lookup failed for ${hostname} (ENOTFOUND)`;
    case 'EAI_AGAIN':
      return `DNS lookup failed for ${hostname} (EAI_AGAIN, temporary failure)`;
    case 'ECONNRESET':
      return `Connection reset by ${target} (ECONNRESET)`;
    case 'UND_ERR_SOCKET':
      return `Connection to ${hostKeyOf(url)} closed before the response was complete (UND_ERR_SOCKET)`;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `Timed out connecting to ${target} (${code})`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `Timed out waiting for the receiver (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Host unreachable: ${target} (${code})`;
    case 'UND_ERR_HEADERS_OVERFLOW':
      return 'Response headers too large (UND_ERR_HEADERS_OVERFLOW)';
    case 'UND_ERR_INVALID_ARG':
      return `Invalid request: ${message}`;
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return `TLS error (${code}): ${message}`;
  }
  return code === undefined ? message : `${message} (${code})`;
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export class HttpSender {
  private readonly agent: Agent;
  private readonly insecureAgent: Agent;
  private readonly slots: KeyedSemaphore;
  private readonly policy: OutboundPolicy;
  private readonly responseBodyLimit: number;
  private readonly userAgent: string;
  private readonly targets = new Map<string, CallTarget>();
  private closed = false;

  constructor(options: HttpSenderOptions) {
    const maxConcurrentPerHost = options.maxConcurrentPerHost ?? DEFAULT_MAX_CONCURRENT_PER_HOST;
    const responseBodyLimit = options.responseBodyLimit ?? RESPONSE_BODY_LIMIT;
    if (!Number.isInteger(maxConcurrentPerHost) || maxConcurrentPerHost < 1) {
      throw new RangeError(`maxConcurrentPerHost must be a positive integer, got ${maxConcurrentPerHost}`);
    }
    if (!Number.isInteger(responseBodyLimit) || responseBodyLimit < 0) {
      throw new RangeError(`responseBodyLimit must be a non-negative integer, got ${responseBodyLimit}`);
    }
    this.policy = options.policy;
    this.responseBodyLimit = responseBodyLimit;
    this.userAgent = options.userAgent;
    this.slots = new KeyedSemaphore(maxConcurrentPerHost);
    // Plain Agents never read HTTP(S)_PROXY, so no proxy can route around the guard.
    const connector = {
      policy: options.policy,
      lookup: options.lookup,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    };
    this.agent = new Agent({ connect: createGuardedConnector({ ...connector, rejectUnauthorized: true }) });
    this.insecureAgent = new Agent({
      connect: createGuardedConnector({ ...connector, rejectUnauthorized: false }),
    });
  }

  /** Calls to `host:port` (see hostKeyOf) holding a slot right now. */
  inFlight(hostKey: string): number {
    return this.slots.active(hostKey);
  }

  /** Calls to `host:port` waiting for a slot. */
  waiting(hostKey: string): number {
    return this.slots.waiting(hostKey);
  }

  /** POSTs once. Never throws: every failure comes back as errorMessage. */
  async send(call: SendRequest): Promise<SendResult> {
    const userAgent = call.userAgent ?? this.userAgent;
    const target = this.targetOf(call.url);
    if (typeof target === 'string') return failed(this.requestHeaders(null, call.headers, userAgent), target);
    const headers = this.requestHeaders(target, call.headers, userAgent);
    if (target.refusal !== null) return failed(headers, target.refusal);
    if (!Number.isFinite(call.timeoutMs) || call.timeoutMs <= 0) {
      return failed(headers, `Invalid timeout: ${call.timeoutMs} ms`);
    }
    if (this.closed) return failed(headers, 'The sender is closed');

    // Most calls find a free slot: taking it synchronously saves a promise and a turn per call.
    const release = this.slots.tryAcquire(target.hostKey) ?? (await this.slots.acquire(target.hostKey));
    if (release === null) return failed(headers, 'The sender is closed');
    try {
      return await this.attempt(target, headers, call);
    } finally {
      release();
    }
  }

  /** Stops taking calls, fails the ones waiting for a slot, and waits for the ones in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.slots.rejectAllWaiters();
    await Promise.all([this.agent.close(), this.insecureAgent.close()]);
  }

  /**
   * What a URL needs before any call to it: where it goes, the host's slot key, a refusal known
   * without connecting (a scheme other than http(s), a forbidden address literal; the connector
   * refuses those too, but checking first keeps refused calls off the per-host slots) and the
   * Authorization its credentials make. Parsed once per URL: a worker calls the same few thousand
   * URLs over and over. A string is why the URL cannot be called at all.
   */
  private targetOf(rawUrl: string): CallTarget | string {
    const known = this.targets.get(rawUrl);
    if (known !== undefined) return known;
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return `Invalid URL: ${rawUrl}`;
    }
    let refusal: string | null = null;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      refusal = `Unsupported URL scheme ${url.protocol} (only http: and https: are sent)`;
    } else {
      const literal = unbracketHost(url.hostname);
      const reason = isIP(literal) !== 0 ? forbiddenAddressReason(literal, this.policy) : null;
      if (reason !== null) refusal = `Refused: ${reason}`;
    }
    const authorization = urlAuthorization(url);
    const target: CallTarget = {
      url,
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      hostKey: hostKeyOf(url),
      refusal,
      authorization,
    };
    if (this.targets.size >= TARGET_CACHE_SIZE) this.targets.clear();
    this.targets.set(rawUrl, target);
    return target;
  }

  private requestHeaders(
    target: CallTarget | null,
    given: Record<string, string>,
    userAgent: string,
  ): Record<string, string> {
    return headersToSend(given, userAgent, target?.authorization ?? null);
  }

  /**
   * One POST on undici's dispatcher API: the response's status and headers, and its body read
   * straight from the connection (the first responseBodyLimit bytes kept, up to DRAIN_LIMIT_BYTES
   * more counted so the connection can be reused; past that the call is cut, which closes it).
   * One timer bounds the whole call, connecting included; it aborts through the dispatch
   * controller. Lighter than undici's request(): no stream, no AbortSignal, no async iterator per
   * call, which at thousands of calls a second is a large share of a worker's time.
   */
  private attempt(
    target: CallTarget,
    requestHeaders: Record<string, string>,
    call: SendRequest,
  ): Promise<SendResult> {
    const limit = this.responseBodyLimit;
    const { timeoutMs } = call;
    return new Promise<SendResult>((resolve) => {
      const startedAt = new Date();
      let controller: Dispatcher.DispatchController | null = null;
      let settled = false;
      let timedOut = false;
      let responseStatus: number | null = null;
      let responseHeaders: Record<string, string> = {};
      let declared: number | null = null;
      let stopAfter = 0;
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let seenBytes = 0;
      /** The body went past what is worth reading: the call was cut on purpose. */
      let cutShort = false;

      const finish = (errorMessage: string | null, responseBody: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          requestHeaders,
          startedAt,
          finishedAt: new Date(),
          responseStatus,
          responseHeaders,
          responseBody,
          errorMessage,
          retryAfterMs: responseStatus === null ? null : parseRetryAfter(responseHeaders['retry-after']),
        });
      };
      const bodyText = (complete: boolean, readError: boolean): string => {
        if (seenBytes === 0 && !readError) return '';
        const bytes = kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept);
        const truncated = seenBytes > keptBytes || (declared !== null && declared > keptBytes);
        // stream: true holds back a multi-byte character cut at the limit instead of emitting U+FFFD.
        const text = new TextDecoder('utf-8').decode(bytes, { stream: truncated || readError });
        if (readError) return `${text}…[incomplete, ${seenBytes} bytes read]`;
        if (!truncated) return text;
        const total = complete ? seenBytes : declared;
        return total !== null
          ? `${text}…[truncated, ${total} bytes in all]`
          : `${text}…[truncated, more than ${seenBytes} bytes]`;
      };
      const answered = () => {
        const status = responseStatus as number;
        if (status < 300 || status >= 400) return null;
        const location = responseHeaders.location;
        return location === undefined
          ? 'Redirect not followed (no Location header)'
          : `Redirect not followed (Location: ${location})`;
      };

      const timer = setTimeout(() => {
        timedOut = true;
        const reason = new Error(`Timed out after ${timeoutMs} ms`);
        // Still connecting: the result is the timeout now, and the request is stopped as soon as
        // undici has a connection for it (onRequestStart).
        if (controller === null) finish(reason.message, null);
        else controller.abort(reason);
      }, timeoutMs);

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (started) => {
          controller = started;
          if (settled) started.abort(new Error(`Timed out after ${timeoutMs} ms`));
        },
        onResponseStart: (_controller, statusCode, headers) => {
          // 1xx informational responses come before the real one.
          if (statusCode < 200) return;
          responseStatus = statusCode;
          responseHeaders = flattenHeaders(headers);
          const length = responseHeaders['content-length'];
          declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
          // A declared length past the drain limit is not worth draining: stop once the kept part is full.
          stopAfter =
            declared !== null && declared > limit + DRAIN_LIMIT_BYTES ? limit : limit + DRAIN_LIMIT_BYTES;
        },
        onResponseData: (dispatch, chunk) => {
          seenBytes += chunk.length;
          if (keptBytes < limit) {
            const part = chunk.length <= limit - keptBytes ? chunk : chunk.subarray(0, limit - keptBytes);
            kept.push(part);
            keptBytes += part.length;
          }
          if (seenBytes > stopAfter && !cutShort) {
            cutShort = true;
            dispatch.abort(new Error('response body past the drain limit'));
          }
        },
        onResponseEnd: () => {
          finish(answered(), bodyText(true, false));
        },
        onResponseError: (_controller, error) => {
          if (responseStatus === null) {
            finish(timedOut ? `Timed out after ${timeoutMs} ms` : describeError(error, target.url), null);
          } else if (cutShort) {
            finish(answered(), bodyText(false, false));
          } else {
            finish(
              timedOut
                ? `Timed out after ${timeoutMs} ms while reading the response body`
                : `Failed reading the response body: ${describeError(error, target.url)}`,
              bodyText(false, true),
            );
          }
        },
      };
      try {
        (call.ignoreSslErrors ? this.insecureAgent : this.agent).dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: 'POST',
            headers: requestHeaders,
            body: call.body,
            // The timer above bounds the call; undici's own timers would only duplicate it.
            headersTimeout: 0,
            bodyTimeout: 0,
          },
          handler,
        );
      } catch (error) {
        finish(describeError(error, target.url), null);
      }
    });
  }
}

/**
 * The Authorization header a URL's credentials make, or null. undici drops URL credentials
 * silently; they are sent the way curl and browsers send them.
 */
export function urlAuthorization(url: URL): string | null {
  return url.username !== '' || url.password !== ''
    ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`, 'utf8').toString('base64')}`
    : null;
}

/**
 * The headers handed to the HTTP client: the given ones (any User-Agent among them replaced by the
 * sender's, last), and the URL's credentials' Authorization unless one is given. Pure, so a stored
 * call's request is rebuilt with it (outbound/stored-request.ts).
 */
export function headersToSend(
  given: Record<string, string>,
  userAgent: string,
  authorization: string | null,
): Record<string, string> {
  const headers: Record<string, string> = {};
  let hasAuthorization = false;
  for (const name in given) {
    const lower = name.toLowerCase();
    // User-Agent is one of the DELIVERY_HEADERS nothing may override.
    if (lower === 'user-agent') continue;
    if (lower === 'authorization') hasAuthorization = true;
    headers[name] = given[name] as string;
  }
  headers['user-agent'] = userAgent;
  if (authorization && !hasAuthorization) headers.authorization = authorization;
  return headers;
}

/** A parsed webhook URL, kept per URL string (see HttpSender.targetOf). */
type CallTarget = {
  url: URL;
  origin: string;
  path: string;
  hostKey: string;
  /** Why a call to it is refused before connecting, or null. */
  refusal: string | null;
  authorization: string | null;
};

function failed(requestHeaders: Record<string, string>, errorMessage: string): SendResult {
  const now = new Date();
  return {
    requestHeaders,
    startedAt: now,
    finishedAt: now,
    responseStatus: null,
    responseHeaders: {},
    responseBody: null,
    errorMessage,
    retryAfterMs: null,
  };
}
