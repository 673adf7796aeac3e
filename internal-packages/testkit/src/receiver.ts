import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedRequest = {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Names as they came on the wire, alternating with values. */
  rawHeaders: string[];
  body: string;
  bytes: Buffer;
};

/** What the receiver does with a request: answer now, answer later, or never (hold it open). */
export type Behaviour = (request: ReceivedRequest, response: ServerResponse) => void | Promise<void>;

export const respond =
  (status: number, body = '', headers: Record<string, string> = {}): Behaviour =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'text/plain', ...headers });
    response.end(body);
  };

/**
 * A real HTTP receiver on 127.0.0.1 for delivery tests: records every request and answers with
 * the behaviour queued for it (then the default).
 */
export async function startReceiver(defaultBehaviour: Behaviour = respond(200, 'ok')) {
  const received: ReceivedRequest[] = [];
  const queued: Behaviour[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: bytes.toString('utf8'),
        bytes,
      };
      received.push(request);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      for (const waiter of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      void (queued.shift() ?? defaultBehaviour)(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    get maxInFlight() {
      return maxInFlight;
    },
    /** Behaviours for the next requests, in order. */
    queue(...behaviours: Behaviour[]) {
      queued.push(...behaviours);
    },
    /** Resolves once `count` requests have arrived in all. */
    waitFor(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
