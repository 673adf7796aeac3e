// The benchmark's webhook receiver, in a process of its own: answers 204 at once, counts requests
// per dispatch id (duplicates) and the publish-to-receipt latency of bodies that carry
// eventData.sentAt (Date.now() when the event was published, on the same machine's clock).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let received = 0;
let duplicates = 0;
const seen = new Set<string>();
let latencies: number[] = [];
let firstAt = 0;
let lastAt = 0;

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ received, duplicates, distinct: seen.size, latencies, firstAt, lastAt }));
    return;
  }
  if (request.url === '/reset') {
    received = 0;
    duplicates = 0;
    seen.clear();
    latencies = [];
    firstAt = 0;
    lastAt = 0;
    request.resume();
    response.end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const now = Date.now();
    received++;
    if (firstAt === 0) firstAt = now;
    lastAt = now;
    const id = String(
      request.headers['x-apify-webhook-dispatch-id'] ?? request.headers['x-dispatch-id'] ?? '',
    );
    if (id) {
      if (seen.has(id)) duplicates++;
      else seen.add(id);
    }
    const match = /"sentAt":\s*(\d+)/.exec(Buffer.concat(chunks).toString('utf8'));
    if (match) latencies.push(now - Number(match[1]));
    response.writeHead(204);
    response.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
