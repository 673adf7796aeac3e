import { isIP } from 'node:net';
import { RESPONSE_BODY_LIMIT } from '@ricochet/schema';
import type { Dispatcher } from 'undici';
import { Agent, request } from 'undici';
import { hostKeyOf } from '../queue/host-key.ts';
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
// undici's own connect timeout; the per-call AbortSignal usually fires first.
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

export { hostKeyOf };

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

type BodyRead = { text: string; error: unknown };

export class HttpSender {
  private readonly agent: Agent;
  private readonly insecureAgent: Agent;
  private readonly slots: KeyedSemaphore;
  private readonly policy: OutboundPolicy;
  private readonly responseBodyLimit: number;
  private readonly userAgent: string;
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
    let url: URL;
    try {
      url = new URL(call.url);
    } catch {
      return failed(this.requestHeaders(null, call.headers, userAgent), `Invalid URL: ${call.url}`);
    }
    const headers = this.requestHeaders(url, call.headers, userAgent);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return failed(headers, `Unsupported URL scheme ${url.protocol} (only http: and https: are sent)`);
    }
    if (!Number.isFinite(call.timeoutMs) || call.timeoutMs <= 0) {
      return failed(headers, `Invalid timeout: ${call.timeoutMs} ms`);
    }
    // The connector refuses these too; checking here first keeps refused calls off the per-host slots.
    const literal = unbracketHost(url.hostname);
    if (isIP(literal) !== 0) {
      const reason = forbiddenAddressReason(literal, this.policy);
      if (reason !== null) return failed(headers, `Refused: ${reason}`);
    }
    if (this.closed) return failed(headers, 'The sender is closed');

    const release = await this.slots.acquire(hostKeyOf(url));
    if (release === null) return failed(headers, 'The sender is closed');
    try {
      return await this.attempt(url, headers, call);
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

  private requestHeaders(
    url: URL | null,
    given: Record<string, string>,
    userAgent: string,
  ): Record<string, string> {
    const headers: Record<string, string> = {};
    let hasAuthorization = false;
    for (const [name, value] of Object.entries(given)) {
      const lower = name.toLowerCase();
      // User-Agent is one of the DELIVERY_HEADERS nothing may override.
      if (lower === 'user-agent') continue;
      if (lower === 'authorization') hasAuthorization = true;
      headers[name] = value;
    }
    headers['user-agent'] = userAgent;
    // undici drops URL credentials silently; send them the way curl and browsers do.
    if (url && !hasAuthorization && (url.username !== '' || url.password !== '')) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    }
    return headers;
  }

  private async attempt(
    url: URL,
    requestHeaders: Record<string, string>,
    call: SendRequest,
  ): Promise<SendResult> {
    const startedAt = new Date();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`Timed out after ${call.timeoutMs} ms`));
    }, call.timeoutMs);

    let responseStatus: number | null = null;
    let responseHeaders: Record<string, string> = {};
    let responseBody: string | null = null;
    let retryAfterMs: number | null = null;
    let errorMessage: string | null = null;
    try {
      const target = new URL(url);
      target.username = '';
      target.password = '';
      const response = await request(target, {
        dispatcher: call.ignoreSslErrors ? this.insecureAgent : this.agent,
        method: 'POST',
        headers: requestHeaders,
        body: call.body,
        signal: controller.signal,
      });
      responseStatus = response.statusCode;
      responseHeaders = flattenHeaders(response.headers);
      retryAfterMs = parseRetryAfter(responseHeaders['retry-after']);
      // The usual answer of a receiver has no body (204, or a length of 0): nothing to iterate.
      const read =
        responseStatus === 204 || responseStatus === 304 || responseHeaders['content-length'] === '0'
          ? await response.body.dump().then(
              () => ({ text: '', error: null }),
              (caught: unknown) => ({ text: '', error: caught }),
            )
          : await this.readBody(response.body, responseHeaders['content-length']);
      responseBody = read.text;
      if (read.error !== null) {
        errorMessage = timedOut
          ? `Timed out after ${call.timeoutMs} ms while reading the response body`
          : `Failed reading the response body: ${describeError(read.error, url)}`;
      } else if (responseStatus >= 300 && responseStatus < 400) {
        const location = responseHeaders.location;
        errorMessage =
          location === undefined
            ? 'Redirect not followed (no Location header)'
            : `Redirect not followed (Location: ${location})`;
      }
    } catch (error) {
      errorMessage = timedOut ? `Timed out after ${call.timeoutMs} ms` : describeError(error, url);
    } finally {
      clearTimeout(timer);
    }
    return {
      requestHeaders,
      startedAt,
      finishedAt: new Date(),
      responseStatus,
      responseHeaders,
      responseBody,
      errorMessage,
      retryAfterMs,
    };
  }

  /**
   * Keeps the first responseBodyLimit bytes and counts (without keeping) up to DRAIN_LIMIT_BYTES more;
   * past that the body is destroyed, which closes the connection. The call's AbortSignal bounds the
   * time this takes.
   */
  private async readBody(
    body: Dispatcher.ResponseData['body'],
    contentLength: string | undefined,
  ): Promise<BodyRead> {
    const limit = this.responseBodyLimit;
    const declared =
      contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : null;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let seenBytes = 0;
    let complete = true;
    let error: unknown = null;
    try {
      // A declared length past the drain limit is not worth draining: stop once the kept part is full.
      const stopAfter =
        declared !== null && declared > limit + DRAIN_LIMIT_BYTES ? limit : limit + DRAIN_LIMIT_BYTES;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        seenBytes += chunk.length;
        if (keptBytes < limit) {
          const part = chunk.subarray(0, limit - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
        if (seenBytes > stopAfter) {
          complete = false;
          break;
        }
      }
    } catch (caught) {
      error = caught;
      complete = false;
    } finally {
      // Idempotent; after a complete read it is a no-op, otherwise it frees the connection.
      if (!complete) body.destroy();
    }

    const bytes = Buffer.concat(kept);
    const truncated = seenBytes > keptBytes || (declared !== null && declared > keptBytes);
    // stream: true holds back a multi-byte character cut at the limit instead of emitting U+FFFD.
    const text = new TextDecoder('utf-8').decode(bytes, { stream: truncated || error !== null });
    if (error !== null) return { text: `${text}…[incomplete, ${seenBytes} bytes read]`, error };
    if (!truncated) return { text, error: null };
    const total = complete ? seenBytes : declared;
    const marker =
      total !== null ? `…[truncated, ${total} bytes in all]` : `…[truncated, more than ${seenBytes} bytes]`;
    return { text: `${text}${marker}`, error: null };
  }
}

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
