#!/usr/bin/env node
// The dashboard's HTTP server: Next.js's own request handler (what `next start` and `next dev` run)
// behind a listener that appends the client's address to X-Forwarded-For, as every proxy does.
//
// Why not plain `next start`: Next fills X-Forwarded-For with the client's address only when the
// request has none, and a route handler never sees the socket. The /trpc proxy forwards that header
// to the API, which trusts this process (TRUST_PROXY) and rate-limits sign-ins per client address;
// with Next's header a client could name any address it liked and get a fresh budget every time.
//
// Usage: node server.mjs [--port 8788] [--hostname 127.0.0.1] [--dev]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8788' },
    hostname: { type: 'string' },
    dev: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const dev = values.dev;
// As the `next` command does, before Next (and React) are loaded.
process.env.NODE_ENV ??= dev ? 'development' : 'production';
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

const { default: next } = await import('next');

/** The request's X-Forwarded-For with this hop's peer appended (what nginx's $proxy_add_x_forwarded_for does). */
function forwardedFor(prior, peer) {
  if (!peer) return prior;
  return prior ? `${prior}, ${peer}` : peer;
}

// A request's headers and body must arrive within 30 s (Node's default is 5 minutes), so clients
// trickling bytes cannot hold connections; Node looks for late ones every 5 s.
const server = createServer(
  { requestTimeout: 30_000, headersTimeout: 30_000, connectionsCheckingInterval: 5_000 },
  (request, response) => {
    // Node joins repeated X-Forwarded-For headers with ", ", so `prior` is the whole chain so far.
    const prior = request.headers['x-forwarded-for'];
    const chain = forwardedFor(typeof prior === 'string' ? prior : undefined, request.socket.remoteAddress);
    if (chain === undefined) delete request.headers['x-forwarded-for'];
    else request.headers['x-forwarded-for'] = chain;
    void handle(request, response);
  },
);
const app = next({ dev, dir: import.meta.dirname, hostname: values.hostname, port, httpServer: server });
const handle = app.getRequestHandler();
await app.prepare();

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, values.hostname, resolve);
});
const address = server.address();
console.log(`Dashboard ready on http://${values.hostname ?? 'localhost'}:${address.port}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    void app.close().finally(() => process.exit(0));
  });
}
