// The benchmark's webhook receiver, in a process of its own: answers 204 at once, counts requests
// per dispatch id (duplicates) and the publish-to-receipt latency of bodies that carry
// eventData.sentAt (Date.now() when the event was published, on the same machine's clock), per
// group: the first segment of the path (`/tenant-b/...` is group `tenant-b`). A path under
// `/hang/` is accepted and never answered (a customer's endpoint that hangs).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Group = { received: number; latencies: number[]; firstAt: number; lastAt: number };
let received = 0;
let duplicates = 0;
const seen = new Set<string>();
let latencies: number[] = [];
let firstAt = 0;
let lastAt = 0;
let groups = new Map<string, Group>();
const hanging = new Set<ServerResponse>();

const server = createServer((request, response) => {
  request.on('error', () => {});
  response.on('error', () => {});
  if (request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        received,
        duplicates,
        distinct: seen.size,
        latencies,
        firstAt,
        lastAt,
        hanging: hanging.size,
        groups: Object.fromEntries(groups),
      }),
    );
    return;
  }
  if (request.url === '/reset') {
    received = 0;
    duplicates = 0;
    seen.clear();
    latencies = [];
    firstAt = 0;
    lastAt = 0;
    groups = new Map();
    for (const held of hanging) held.destroy();
    hanging.clear();
    request.resume();
    response.end();
    return;
  }
  if (request.url?.startsWith('/hang/')) {
    request.resume();
    hanging.add(response);
    response.on('close', () => hanging.delete(response));
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
    const name = request.url?.split('/')[1] ?? '';
    let group = groups.get(name);
    if (!group) {
      group = { received: 0, latencies: [], firstAt: now, lastAt: now };
      groups.set(name, group);
    }
    group.received++;
    group.lastAt = now;
    const match = /"sentAt":\s*(\d+)/.exec(Buffer.concat(chunks).toString('utf8'));
    if (match) {
      latencies.push(now - Number(match[1]));
      group.latencies.push(now - Number(match[1]));
    }
    response.writeHead(204);
    response.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
