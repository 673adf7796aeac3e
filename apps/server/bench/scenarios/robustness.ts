import { readFileSync } from 'node:fs';
import { countRows } from '../lib/cluster.ts';
import { closedLoop, openLoop, poster, publishBody, sleep, waitUntil } from '../lib/load.ts';
import { type Proc, startRicochet, stop, waitForListeners } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { median, record } from '../lib/results.ts';
import type { BenchSystem } from '../lib/systems.ts';

const SUCCEEDED = `SELECT count(*) FROM "Dispatch" WHERE "status" = 'SUCCEEDED'`;

/** 200 publishers for a while with two workers: no 5xx, everything accepted is delivered. */
export async function crowd(system: BenchSystem, receiver: BenchReceiver, durationMs: number): Promise<void> {
  await system.reset(receiver.url, 1);
  await receiver.reset();
  const api = await startRicochet(['--api'], { DATABASE_URL: system.url });
  const workers = await Promise.all([0, 1].map(() => system.startWorker()));
  await waitForListeners(system.pool, 2);
  const client = poster(api.baseUrl, 200, '/v2/events', system.token);
  const load = await closedLoop({ concurrency: 200, durationMs, call: () => client.post(publishBody()) });
  const delivered = await waitUntil(
    async () => (await countRows(system.pool, SUCCEEDED)) >= load.ok,
    180_000,
    200,
  );
  record('crowd accepted', load.ok);
  record('crowd 5xx', load.errors5xx);
  record('crowd other errors', load.otherErrors);
  record('crowd all delivered (1 = yes)', delivered ? 1 : 0);
  record('crowd duplicates', (await receiver.stats()).duplicates);
  await client.close();
  await stop(api.proc, ...workers);
}

/** 5,000 dispatches with three workers; then again with a worker SIGKILLed every 2 s. */
export async function duplicates(system: BenchSystem, receiver: BenchReceiver): Promise<void> {
  for (const kill of [false, true]) {
    await system.reset(receiver.url, 10);
    await receiver.reset();
    // A short lease so that a killed worker's claims come back within the run.
    const env = { DELIVERY_LEASE_MS: '3000', DELIVERY_POLL_INTERVAL_MS: '500' };
    const workers: Proc[] = await Promise.all([0, 1, 2].map(() => system.startWorker(env)));
    await waitForListeners(system.pool, 3);
    const total = await system.backlog(500);
    let kills = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && (await countRows(system.pool, SUCCEEDED)) < total) {
      if (kill && kills < 20) {
        await sleep(2_000);
        const victim = workers.shift() as Proc;
        victim.child.kill('SIGKILL');
        kills++;
        workers.push(await system.startWorker(env));
      } else {
        await sleep(100);
      }
    }
    const done = await countRows(system.pool, SUCCEEDED);
    const stats = await receiver.stats();
    const label = kill ? 'SIGKILL every 2 s' : 'no kills';
    record(`5,000 dispatches, 3 workers, ${label}: lost`, total - done);
    record(`5,000 dispatches, 3 workers, ${label}: duplicate deliveries`, stats.duplicates);
    if (kill) record('5,000 dispatches, 3 workers, SIGKILL every 2 s: kills', kills);
    await stop(...workers);
  }
}

/** The API's and a worker's memory after a long run at half the maximum rate. */
export async function rss(system: BenchSystem, receiver: BenchReceiver, durationMs: number): Promise<void> {
  const half = Math.max(10, Math.floor(median('publish+deliver fo1 w1 ricochet') / 2));
  await system.reset(receiver.url, 1);
  const api = await startRicochet(['--api'], { DATABASE_URL: system.url });
  const worker = await system.startWorker();
  await waitForListeners(system.pool, 1);
  const client = poster(api.baseUrl, 64, '/v2/events', system.token);
  const load = await openLoop({ ratePerSec: half, durationMs, call: () => client.post(publishBody()) });
  const rssOf = (pid: number | undefined) =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  record('RSS run rate events/s', half);
  record('RSS run 5xx', load.errors5xx);
  record('RSS API MiB', rssOf(api.proc.child.pid));
  record('RSS worker MiB', rssOf(worker.child.pid));
  await client.close();
  await stop(api.proc, worker);
}
