import { truncate } from '../lib/cluster.ts';
import { closedLoop, percentile, poster, publishBody } from '../lib/load.ts';
import { stop } from '../lib/processes.ts';
import { record } from '../lib/results.ts';
import type { BenchSystem } from '../lib/systems.ts';

/** One event matching 1,000 webhooks (nothing delivers them), then GET /v2/webhooks/:id under load. */
export async function apiFigures(
  system: BenchSystem,
  receiverUrl: string,
  publishes: number,
  windowMs: number,
): Promise<void> {
  if (!system.startApi) return;
  await system.reset(receiverUrl, 1_000);
  const api = await system.startApi({ MAX_WEBHOOKS_PER_USER: '1000' });
  const client = poster(api.baseUrl, 64, '/v2/events', system.token);
  // Warm-up, not measured: the first requests of a new process resolve the token, prepare the
  // statement and compile the hot code.
  for (let index = 0; index < 5; index++) await client.post(publishBody());
  const big = await closedLoop({
    concurrency: 1,
    durationMs: 60_000,
    maxCalls: publishes,
    call: () => client.post(publishBody()),
  });
  record('publish to 1,000 webhooks p50 ms', percentile(big.latencies, 50));
  record('publish to 1,000 webhooks p99 ms', percentile(big.latencies, 99));
  await truncate(system.pool, 'TRUNCATE "Dispatch", "DispatchQueue", "Event" CASCADE');

  // GET /v2/webhooks/:id with 64 connections (the webhook has 1,000 dispatches behind its stats).
  await system.backlog(1);
  const get = await closedLoop({
    concurrency: 64,
    durationMs: windowMs,
    call: () => client.get('/v2/webhooks/benchWebhook1'),
  });
  record('GET webhook req/s', (get.ok / get.elapsedMs) * 1000);
  record('GET webhook p99 ms', percentile(get.latencies, 99));
  record('GET webhook non-2xx', get.errors5xx + get.otherErrors);
  await client.close();
  await stop(api.proc);
}
