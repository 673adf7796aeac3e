import type { LookupAddress } from 'node:dns';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import ipaddr from 'ipaddr.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostKeyOf } from '../../src/outbound/host-key.ts';
import type { SendRequest } from '../../src/outbound/http-sender.ts';
import { HttpSender, parseRetryAfter } from '../../src/outbound/http-sender.ts';
import type { OutboundPolicy } from '../../src/outbound/outbound-guard.ts';
import {
  createGuardedLookup,
  FORBIDDEN_ADDRESS_CODE,
  forbiddenAddressReason,
  vetConnectedSocket,
} from '../../src/outbound/outbound-guard.ts';

const LOOPBACK_OK: OutboundPolicy = { allowLoopback: true, allowPrivate: false };
const STRICT: OutboundPolicy = { allowLoopback: false, allowPrivate: false };

// ---------------------------------------------------------------------------------------------
// Tripwire. These tests may only ever connect to 127.0.0.1 / ::1. Every socket undici opens goes
// through net.connect or tls.connect, so both are wrapped for the whole file: a connect to an IP
// literal, or a lookup answer, that is not loopback fails right there (before the socket connects)
// and is recorded, so even a broken guard cannot send a packet elsewhere, and the test fails.
// ---------------------------------------------------------------------------------------------
const tripped: string[] = [];
const originalNetConnect = net.connect;
const originalTlsConnect = tls.connect;

function isLoopback(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'loopback';
  } catch {
    return false;
  }
}

function tripwireOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    tripped.push(`unexpected connect arguments: ${String(options)}`);
    throw new Error('tripwire: unexpected connect arguments');
  }
  const opts = options as { host?: string; lookup?: LookupFunction; path?: string };
  if (opts.path !== undefined) return;
  const host = opts.host ?? 'localhost';
  if (net.isIP(host) !== 0) {
    if (!isLoopback(host)) {
      tripped.push(`connect to ${host}`);
      throw new Error(`tripwire: test tried to connect to ${host}`);
    }
    return;
  }
  const inner: LookupFunction =
    opts.lookup ??
    ((_hostname, _options, callback) => callback(new Error('tripwire: connect without a lookup'), ''));
  opts.lookup = (hostname, lookupOptions, callback) => {
    inner(hostname, lookupOptions, (error, address, family) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const addresses = typeof address === 'string' ? [address] : address.map((entry) => entry.address);
      const outside = addresses.filter((candidate) => !isLoopback(candidate));
      if (outside.length > 0) {
        tripped.push(`lookup of ${hostname} handed ${outside.join(', ')} to a socket`);
        callback(new Error(`tripwire: ${hostname} resolved to ${outside.join(', ')}`), '');
        return;
      }
      callback(null, address, family);
    });
  };
}

beforeAll(() => {
  net.connect = ((...args: unknown[]) => {
    tripwireOptions(args[0]);
    return (originalNetConnect as (...a: unknown[]) => net.Socket)(...args);
  }) as typeof net.connect;
  tls.connect = ((...args: unknown[]) => {
    tripwireOptions(args[0]);
    return (originalTlsConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
  }) as typeof tls.connect;
});

afterAll(() => {
  net.connect = originalNetConnect;
  tls.connect = originalTlsConnect;
});

afterEach(() => {
  expect(tripped, 'a test tried to reach a non-loopback address').toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// Receivers and helpers
// ---------------------------------------------------------------------------------------------
type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

type Receiver = { url: string; port: number; hits: () => number; close: () => Promise<void> };

const cleanups: Array<() => Promise<void>> = [];

// Behaviour is asserted, not durations; this only keeps a loaded machine from failing a slow test.
const NETWORK = { timeout: 30_000 };

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function attach(server: Server, handler: Handler): () => number {
  let hits = 0;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    hits += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, response, Buffer.concat(chunks).toString('utf8')));
  });
  return () => hits;
}

async function receiver(handler: Handler): Promise<Receiver> {
  const server = createServer();
  const hits = attach(server, handler);
  const port = await listen(server);
  const close = () => closeServer(server);
  cleanups.push(close);
  return { url: `http://127.0.0.1:${port}/hook`, port, hits, close };
}

function sender(options: Partial<ConstructorParameters<typeof HttpSender>[0]> = {}): HttpSender {
  const created = new HttpSender({ policy: LOOPBACK_OK, userAgent: 'Ricochet-Test/1.0', ...options });
  cleanups.push(() => created.close());
  return created;
}

function call(url: string, overrides: Partial<SendRequest> = {}): SendRequest {
  return {
    url,
    headers: { 'Content-Type': 'application/json' },
    body: '{"hello":"world"}',
    timeoutMs: 10_000,
    ignoreSslErrors: false,
    ...overrides,
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A resolver for tests: fixed answers, never DNS. */
function fakeLookup(table: Record<string, string[]>, calls: string[] = []): LookupFunction {
  return (hostname, options, callback) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (answers === undefined) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, '');
      return;
    }
    const entries: LookupAddress[] = answers.map((address) => ({ address, family: net.isIP(address) }));
    const first = entries[0];
    if (options.all) callback(null, entries);
    else if (first !== undefined) callback(null, first.address, first.family);
  };
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------
describe('HttpSender responses', NETWORK, () => {
  it('POSTs the body and headers and returns a 2xx response with its body', async () => {
    let seen: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const target = await receiver((request, response, body) => {
      seen = { method: request.method, url: request.url, headers: request.headers, body };
      response.writeHead(200, { 'Content-Type': 'text/plain', 'X-Receiver': 'yes' }).end('thanks');
    });
    const result = await sender().send(
      call(`${target.url}?a=1`, {
        headers: { 'Content-Type': 'application/json', 'X-Custom': 'c', 'User-Agent': 'x' },
      }),
    );

    expect(result).toMatchObject({
      responseStatus: 200,
      responseBody: 'thanks',
      errorMessage: null,
      retryAfterMs: null,
    });
    expect(result.responseHeaders['x-receiver']).toBe('yes');
    expect(result.finishedAt.getTime()).toBeGreaterThanOrEqual(result.startedAt.getTime());
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/hook?a=1');
    expect(seen.body).toBe('{"hello":"world"}');
    expect(seen.headers?.['content-type']).toBe('application/json');
    expect(seen.headers?.['x-custom']).toBe('c');
    expect(seen.headers?.['user-agent']).toBe('Ricochet-Test/1.0');
  });

  it('returns a 500 as a result, not an error', async () => {
    const target = await receiver((_request, response) => response.writeHead(500).end('boom'));
    const result = await sender().send(call(target.url));
    expect(result).toMatchObject({ responseStatus: 500, responseBody: 'boom', errorMessage: null });
  });

  it('returns 410 Gone as a result', async () => {
    const target = await receiver((_request, response) => response.writeHead(410).end());
    const result = await sender().send(call(target.url));
    expect(result).toMatchObject({ responseStatus: 410, responseBody: '', errorMessage: null });
  });

  it('reads Retry-After seconds on a 429', async () => {
    const target = await receiver((_request, response) =>
      response.writeHead(429, { 'Retry-After': '7' }).end(),
    );
    const result = await sender().send(call(target.url));
    expect(result).toMatchObject({ responseStatus: 429, retryAfterMs: 7000 });
  });

  it('does not follow a 302 and says where it pointed', async () => {
    const target = await receiver((request, response) => {
      if (request.url === '/hook') response.writeHead(302, { Location: '/elsewhere' }).end();
      else response.writeHead(200).end('followed');
    });
    const result = await sender().send(call(target.url));
    expect(result.responseStatus).toBe(302);
    expect(result.errorMessage).toBe('Redirect not followed (Location: /elsewhere)');
    expect(target.hits()).toBe(1);
  });

  it('waits for a slow receiver within the timeout', async () => {
    const target = await receiver((_request, response) => {
      setTimeout(() => response.writeHead(202).end('late but fine'), 200);
    });
    const result = await sender().send(call(target.url, { timeoutMs: 15_000 }));
    expect(result).toMatchObject({ responseStatus: 202, responseBody: 'late but fine', errorMessage: null });
  });

  it('sends credentials in the URL as Basic auth', async () => {
    let authorization: string | undefined;
    const target = await receiver((request, response) => {
      authorization = request.headers.authorization;
      response.writeHead(204).end();
    });
    const url = new URL(target.url);
    url.username = 'user';
    url.password = 'p@ss';
    const result = await sender().send(call(url.toString()));
    expect(result.responseStatus).toBe(204);
    expect(authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });
});

describe('HttpSender failures', NETWORK, () => {
  it('times out a receiver that never answers', async () => {
    const target = await receiver(() => {
      // Holds the request; the server is closed after the test.
    });
    const result = await sender().send(call(target.url, { timeoutMs: 300 }));
    expect(result).toMatchObject({
      responseStatus: null,
      responseBody: null,
      errorMessage: 'Timed out after 300 ms',
    });
  });

  it('times out a receiver that stops in the middle of the body, keeping the status', async () => {
    const target = await receiver((_request, response) => {
      response.writeHead(200, { 'Content-Length': '100' });
      response.write('partial');
    });
    const result = await sender().send(call(target.url, { timeoutMs: 2000 }));
    expect(result.responseStatus).toBe(200);
    expect(result.errorMessage).toBe('Timed out after 2000 ms while reading the response body');
    expect(result.responseBody).toContain('partial');
  });

  it('reports a refused connection', async () => {
    const server = createServer();
    const port = await listen(server);
    await closeServer(server);
    const result = await sender().send(call(`http://127.0.0.1:${port}/hook`));
    expect(result.responseStatus).toBeNull();
    expect(result.errorMessage).toBe(`Connection refused (ECONNREFUSED) to 127.0.0.1:${port}`);
  });

  it('reports a DNS failure', async () => {
    const result = await sender({ lookup: fakeLookup({}) }).send(call('http://nowhere.test/hook'));
    expect(result.errorMessage).toBe('DNS lookup failed for nowhere.test (ENOTFOUND)');
  });

  it('reports invalid URLs and other schemes without throwing', async () => {
    const http = sender();
    expect((await http.send(call('not a url'))).errorMessage).toBe('Invalid URL: not a url');
    expect((await http.send(call('ftp://127.0.0.1/x'))).errorMessage).toMatch(/Unsupported URL scheme ftp:/);
  });

  it('reports a header that undici refuses to send without throwing', async () => {
    const target = await receiver((_request, response) => response.writeHead(200).end());
    const result = await sender().send(call(target.url, { headers: { 'X-Bad': 'line\r\nbreak' } }));
    expect(result.responseStatus).toBeNull();
    expect(result.errorMessage).toMatch(/^Invalid request: /);
    expect(target.hits()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Response bodies
// ---------------------------------------------------------------------------------------------
describe('HttpSender response bodies', NETWORK, () => {
  it('keeps the first responseBodyLimit bytes of a long body and says how long it was', async () => {
    const body = 'x'.repeat(100_000);
    const target = await receiver((_request, response) => response.writeHead(200).end(body));
    const result = await sender({ responseBodyLimit: 1000 }).send(call(target.url));
    expect(result.errorMessage).toBeNull();
    expect(result.responseBody).toBe(`${'x'.repeat(1000)}…[truncated, 100000 bytes in all]`);
  });

  it('counts a chunked body it drains', async () => {
    const target = await receiver((_request, response) => {
      response.writeHead(200);
      for (let i = 0; i < 50; i += 1) response.write('y'.repeat(1000));
      response.end();
    });
    const result = await sender({ responseBodyLimit: 10 }).send(call(target.url));
    expect(result.responseBody).toBe(`${'y'.repeat(10)}…[truncated, 50000 bytes in all]`);
  });

  it('stops reading an endless body instead of buffering it or waiting for the timeout', async () => {
    let stopped = false;
    const target = await receiver((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x7a);
      const pump = (): void => {
        while (!stopped && response.write(chunk)) {
          // keep the socket buffer full
        }
        if (!stopped) response.once('drain', pump);
      };
      response.on('close', () => {
        stopped = true;
      });
      pump();
    });
    const result = await sender({ responseBodyLimit: 100 }).send(call(target.url, { timeoutMs: 60_000 }));
    expect(result.responseStatus).toBe(200);
    expect(result.errorMessage).toBeNull();
    expect(result.responseBody).toMatch(/^z{100}…\[truncated, more than \d+ bytes\]$/);
    await waitFor(() => stopped, 'the receiver to see the connection close');
  });

  it('does not cut a multi-byte character in half', async () => {
    const target = await receiver((_request, response) => response.writeHead(200).end('é'.repeat(10)));
    const result = await sender({ responseBodyLimit: 5 }).send(call(target.url));
    expect(result.responseBody).toBe('éé…[truncated, 20 bytes in all]');
  });
});

// ---------------------------------------------------------------------------------------------
// Per-host bound
// ---------------------------------------------------------------------------------------------
describe('HttpSender per-host bound', NETWORK, () => {
  it('never has more than maxConcurrentPerHost calls at one receiver', async () => {
    const held: ServerResponse[] = [];
    let active = 0;
    let maxActive = 0;
    const target = await receiver((_request, response) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      held.push(response);
    });
    const release = (): void => {
      for (const response of held.splice(0)) {
        active -= 1;
        response.writeHead(200).end('ok');
      }
    };
    const http = sender({ maxConcurrentPerHost: 2 });
    const key = hostKeyOf(target.url);
    expect(key).toBe(`127.0.0.1:${target.port}`);

    const results = Array.from({ length: 5 }, () => http.send(call(target.url, { timeoutMs: 60_000 })));
    await waitFor(() => held.length === 2, 'two held requests');
    expect(http.inFlight(key)).toBe(2);
    expect(http.waiting(key)).toBe(3);
    expect(active).toBe(2);

    let done = 0;
    for (const result of results) void result.then(() => (done += 1));
    while (done < 5) {
      await waitFor(() => held.length > 0 || done === 5, 'a request to release');
      expect(active).toBeLessThanOrEqual(2);
      release();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    expect(maxActive).toBe(2);
    expect(target.hits()).toBe(5);
    for (const result of await Promise.all(results)) expect(result.responseStatus).toBe(200);
    expect(http.inFlight(key)).toBe(0);
    expect(http.waiting(key)).toBe(0);
  });

  it('keeps other hosts flowing while one is saturated', async () => {
    const slow = await receiver(() => {
      // never answers
    });
    const fast = await receiver((_request, response) => response.writeHead(200).end());
    const http = sender({ maxConcurrentPerHost: 1 });
    const stuck = http.send(call(slow.url, { timeoutMs: 60_000 }));
    const queued = http.send(call(slow.url, { timeoutMs: 60_000 }));
    await waitFor(() => http.waiting(hostKeyOf(slow.url)) === 1, 'the second call to queue');
    expect((await http.send(call(fast.url))).responseStatus).toBe(200);
    await slow.close();
    expect((await stuck).errorMessage).not.toBeNull();
    await queued;
  });

  it('fails calls still waiting for a slot when closed', async () => {
    const slow = await receiver(() => {
      // never answers
    });
    const http = new HttpSender({ policy: LOOPBACK_OK, userAgent: 't', maxConcurrentPerHost: 1 });
    const first = http.send(call(slow.url, { timeoutMs: 60_000 }));
    const second = http.send(call(slow.url, { timeoutMs: 60_000 }));
    await waitFor(() => http.waiting(hostKeyOf(slow.url)) === 1, 'the second call to queue');
    const closing = http.close();
    expect((await second).errorMessage).toBe('The sender is closed');
    await slow.close();
    await first;
    await closing;
    expect((await http.send(call(slow.url))).errorMessage).toBe('The sender is closed');
  });
});

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------
// A self-signed certificate for IP:127.0.0.1, made for these tests only (valid until 2126). It is
// public test material and protects nothing.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc3doU/FHEAe3WirS
sWUkhYpUkVOmaQZU2XmLg8i9CMqhRANCAATaQjrd9/UgZIALUycm5d6L7MLPJf9M
pZwq20OBc7UVAs97xux8vLZDFfNPOYwmj8OFts16HdQA68HyE6VUJLxA
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBkDCCATagAwIBAgIUO7Nqj8aQ0ElpfmPopqg36os9PE0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNTE0MzIxMVoYDzIxMjYxMTAx
MTQzMjExWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATaQjrd9/UgZIALUycm5d6L7MLPJf9MpZwq20OBc7UVAs97xux8vLZD
FfNPOYwmj8OFts16HdQA68HyE6VUJLxAo2QwYjAdBgNVHQ4EFgQUQOTX8itkUKMN
G0jNKRwPCqXXg+0wHwYDVR0jBBgwFoAUQOTX8itkUKMNG0jNKRwPCqXXg+0wDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC
IQCA7QwWGa/JUsjeiUHJ0KiuSXAfc/Xrc5YQ6LQ/U6wY0AIgODeg2GZdDB1E5eFx
ZL3B5JbTKGlaC4X2PLTQYvNQBQk=
-----END CERTIFICATE-----`;

describe('HttpSender TLS', NETWORK, () => {
  it('refuses an untrusted certificate unless the webhook ignores SSL errors', async () => {
    const server = createHttpsServer({ key: TEST_KEY, cert: TEST_CERT });
    attach(server, (_request, response) => response.writeHead(200).end('secure'));
    const port = await listen(server);
    cleanups.push(() => closeServer(server));
    const url = `https://127.0.0.1:${port}/hook`;
    const http = sender();

    const strict = await http.send(call(url));
    expect(strict.responseStatus).toBeNull();
    expect(strict.errorMessage).toMatch(/^TLS error \(/);

    const lenient = await http.send(call(url, { ignoreSslErrors: true }));
    expect(lenient).toMatchObject({ responseStatus: 200, responseBody: 'secure', errorMessage: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Outbound guard, end to end (no request may reach anything)
// ---------------------------------------------------------------------------------------------
describe('HttpSender outbound guard', NETWORK, () => {
  it('refuses loopback in every spelling when loopback is not allowed', async () => {
    const target = await receiver((_request, response) => response.writeHead(200).end());
    const lookups: string[] = [];
    const http = sender({
      policy: STRICT,
      lookup: fakeLookup({ localhost: ['127.0.0.1', '::1'] }, lookups),
    });
    const port = target.port;
    const cases: Array<[string, RegExp]> = [
      [`http://127.0.0.1:${port}/hook`, /^Refused: 127\.0\.0\.1 is a loopback address$/],
      [
        `http://localhost:${port}/hook`,
        /^Refused: 127\.0\.0\.1 is a loopback address \(resolved from localhost\)$/,
      ],
      [`http://[::1]:${port}/hook`, /^Refused: ::1 is a loopback address$/],
      [
        `http://[::ffff:127.0.0.1]:${port}/hook`,
        /^Refused: ::ffff:7f00:1 is an IPv4-mapped address for 127\.0\.0\.1/,
      ],
      [`http://0.0.0.0:${port}/hook`, /^Refused: 0\.0\.0\.0 is the unspecified address/],
      [`http://2130706433:${port}/hook`, /^Refused: 127\.0\.0\.1 is a loopback address$/],
    ];
    for (const [url, message] of cases) {
      const result = await http.send(call(url));
      expect(result.responseStatus, url).toBeNull();
      expect(result.errorMessage, url).toMatch(message);
    }
    expect(lookups).toEqual(['localhost']);
    expect(target.hits()).toBe(0);
  });

  it('refuses a name that resolves to a private address before connecting', async () => {
    const lookups: string[] = [];
    const http = sender({ lookup: fakeLookup({ 'internal.test': ['10.0.0.5'] }, lookups) });
    const result = await http.send(call('http://internal.test/'));
    expect(result).toMatchObject({ responseStatus: null, responseBody: null });
    expect(result.errorMessage).toBe('Refused: 10.0.0.5 is a private address (resolved from internal.test)');
    expect(lookups).toEqual(['internal.test']);
  });

  it('refuses the cloud metadata address given as a literal', async () => {
    const result = await sender({ policy: { allowLoopback: true, allowPrivate: false } }).send(
      call('http://169.254.169.254/latest/meta-data/'),
    );
    expect(result.errorMessage).toBe('Refused: 169.254.169.254 is the cloud metadata address (link-local)');
  });

  it('connects only to the vetted addresses of a name that also resolves to forbidden ones', async () => {
    const target = await receiver((_request, response) => response.writeHead(200).end('reached'));
    const lookups: string[] = [];
    const http = sender({ lookup: fakeLookup({ 'mixed.test': ['10.0.0.5', '127.0.0.1'] }, lookups) });
    const result = await http.send(call(`http://mixed.test:${target.port}/hook`));
    expect(result).toMatchObject({ responseStatus: 200, responseBody: 'reached', errorMessage: null });
    expect(lookups).toEqual(['mixed.test']);
  });
});

// ---------------------------------------------------------------------------------------------
// Pure functions
// ---------------------------------------------------------------------------------------------
describe('forbiddenAddressReason', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3 is a private address'],
    ['172.16.5.4', '172.16.5.4 is a private address'],
    ['172.31.255.255', '172.31.255.255 is a private address'],
    ['192.168.0.1', '192.168.0.1 is a private address'],
    ['127.0.0.1', '127.0.0.1 is a loopback address'],
    ['127.255.0.9', '127.255.0.9 is a loopback address'],
    ['169.254.169.254', '169.254.169.254 is the cloud metadata address (link-local)'],
    ['169.254.1.1', '169.254.1.1 is a link-local address'],
    ['::1', '::1 is a loopback address'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1 is an IPv4-mapped address for 10.0.0.1, which is a private address'],
    ['fc00::1', 'fc00::1 is a unique-local address'],
    ['fd00:ec2::254', 'fd00:ec2::254 is a unique-local address'],
    ['fe80::1', 'fe80::1 is a link-local address'],
    ['0.0.0.0', '0.0.0.0 is the unspecified address (it reaches this host)'],
    ['::', ':: is the unspecified address (it reaches this host)'],
    ['100.64.0.1', '100.64.0.1 is a carrier-grade NAT address'],
    ['224.0.0.1', '224.0.0.1 is a multicast address'],
    ['255.255.255.255', '255.255.255.255 is the broadcast address'],
    ['240.0.0.1', '240.0.0.1 is a reserved address'],
    ['64:ff9b::a00:1', '64:ff9b::a00:1 is a NAT64 address for 10.0.0.1, which is a private address'],
    [
      '2002:a9fe:a9fe::1',
      '2002:a9fe:a9fe::1 is a 6to4 address for 169.254.169.254, which is the cloud metadata address (link-local)',
    ],
    ['2001::1', '2001::1 is a Teredo address'],
    ['localhost', 'localhost is not an IP address'],
  ])('refuses %s', (ip, reason) => {
    expect(forbiddenAddressReason(ip, STRICT)).toBe(reason);
  });

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '64:ff9b::5db8:d822', '2002:5db8:d822::1'])(
    'allows the public address %s',
    (ip) => {
      expect(forbiddenAddressReason(ip, STRICT)).toBeNull();
    },
  );

  it('lets allowLoopback open loopback only', () => {
    const policy = { allowLoopback: true, allowPrivate: false };
    expect(forbiddenAddressReason('127.0.0.1', policy)).toBeNull();
    expect(forbiddenAddressReason('::1', policy)).toBeNull();
    expect(forbiddenAddressReason('::ffff:127.0.0.1', policy)).toBeNull();
    expect(forbiddenAddressReason('10.0.0.1', policy)).not.toBeNull();
    expect(forbiddenAddressReason('169.254.169.254', policy)).not.toBeNull();
  });

  it('lets allowPrivate open everything but loopback', () => {
    const policy = { allowLoopback: false, allowPrivate: true };
    for (const ip of ['10.0.0.1', '192.168.1.1', 'fc00::1', 'fe80::1', '100.64.0.1', '169.254.169.254']) {
      expect(forbiddenAddressReason(ip, policy), ip).toBeNull();
    }
    expect(forbiddenAddressReason('127.0.0.1', policy)).not.toBeNull();
    expect(forbiddenAddressReason('::ffff:127.0.0.1', policy)).not.toBeNull();
    expect(forbiddenAddressReason('0.0.0.0', policy)).not.toBeNull();
    expect(forbiddenAddressReason('not-an-ip', { allowLoopback: true, allowPrivate: true })).not.toBeNull();
  });
});

describe('createGuardedLookup', () => {
  function resolve(
    lookup: LookupFunction,
    hostname: string,
    all: boolean,
  ): Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[] }> {
    return new Promise((done) => lookup(hostname, { all }, (error, address) => done({ error, address })));
  }

  it('drops forbidden answers and keeps allowed ones', async () => {
    const calls: string[] = [];
    const guarded = createGuardedLookup(
      STRICT,
      fakeLookup({ 'a.test': ['10.0.0.5', '93.184.216.34'] }, calls),
    );
    expect(await resolve(guarded, 'a.test', true)).toEqual({
      error: null,
      address: [{ address: '93.184.216.34', family: 4 }],
    });
    expect(await resolve(guarded, 'a.test', false)).toEqual({ error: null, address: '93.184.216.34' });
    expect(calls).toEqual(['a.test', 'a.test']);
  });

  it('fails with a coded error when every answer is forbidden', async () => {
    const guarded = createGuardedLookup(STRICT, fakeLookup({ 'meta.test': ['169.254.169.254', 'fd00::1'] }));
    const { error } = await resolve(guarded, 'meta.test', false);
    expect(error?.code).toBe(FORBIDDEN_ADDRESS_CODE);
    expect(error?.message).toBe(
      'Refused: 169.254.169.254 is the cloud metadata address (link-local) (resolved from meta.test)',
    );
  });
});

describe('vetConnectedSocket', () => {
  it('judges the address a socket reached', () => {
    expect(vetConnectedSocket({ remoteAddress: '93.184.216.34' }, STRICT)).toBeNull();
    expect(vetConnectedSocket({ remoteAddress: '::ffff:10.0.0.1' }, STRICT)?.code).toBe(
      FORBIDDEN_ADDRESS_CODE,
    );
    expect(vetConnectedSocket({ remoteAddress: undefined }, LOOPBACK_OK)).not.toBeNull();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
