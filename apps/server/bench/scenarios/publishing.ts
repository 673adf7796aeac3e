import type { BenchCluster } from '../lib/cluster.ts';
import { type CpuMeter, ownCpuMs, processCpuMs, startCpu } from '../lib/cpu.ts';
import { closedLoop, openLoop, percentile, poster, publishBody, waitUntil } from '../lib/load.ts';
import { type Proc, stop, waitForListeners } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { log, record, recordCpu } from '../lib/results.ts';
import { type BenchSystem, warmUp } from '../lib/systems.ts';

export type PublishingOptions = {
  /** Deliveries per publish + deliver run (events = this / fan-out). */
  deliveries: number;
  workerCounts: number[];
  fanouts: number[];
  /** How long publishing alone runs, and the steady 100 events/s run. */
  windowMs: number;
  latencyMs: number;
};

const PUBLISHERS = 32;

function meterOf(procs: Proc[], cluster: BenchCluster, receiver: BenchReceiver): CpuMeter {
  return {
    processes: () => procs.reduce((sum, proc) => sum + processCpuMs(proc.child.pid as number), 0),
    receiver: receiver.cpuMs,
    'load generator': ownCpuMs,
    ...(cluster.cpuMs && { postgres: cluster.cpuMs }),
  };
}

/**
 * Publishing and delivering at once: a fixed number of events published by 32 concurrent
 * publishers through the system's API while its workers deliver, timed from the first publish to
 * the last receipt (the durable pipeline's throughput), then publishing alone and publish → receipt
 * latency at a steady 100 events/s. Workers start on an empty queue.
 */
export async function publishing(
  systems: BenchSystem[],
  cluster: BenchCluster,
  receiver: BenchReceiver,
  options: PublishingOptions,
): Promise<void> {
  for (const system of systems) {
    if (!system.startApi) continue;
    const api = await system.startApi();
    const client = poster(api.baseUrl, PUBLISHERS, system.publishPath, system.token);
    try {
      for (const workers of options.workerCounts) {
        await system.reset(receiver.url, 1);
        const procs = await Promise.all(Array.from({ length: workers }, () => system.startWorker()));
        await waitForListeners(system.pool, workers);
        await warmUp(system, receiver);
        // The API too: its first publishes resolve the token and prepare statements.
        await system.reset(receiver.url, 1);
        await closedLoop({
          concurrency: PUBLISHERS,
          durationMs: 10_000,
          maxCalls: 200,
          call: () => client.post(publishBody()),
        });
        for (const fanout of options.fanouts) {
          await system.reset(receiver.url, fanout);
          await receiver.reset();
          const events = Math.floor(options.deliveries / fanout);
          const key = `publish+deliver fo${fanout} w${workers} ${system.name}`;
          const cpu = startCpu(meterOf([api.proc, ...procs], cluster, receiver));
          const t0 = Date.now();
          const load = await closedLoop({
            concurrency: PUBLISHERS,
            durationMs: 120_000,
            maxCalls: events,
            call: () => client.post(publishBody()),
          });
          const expected = load.ok * fanout;
          const all = await waitUntil(async () => (await receiver.stats()).received >= expected, 180_000, 20);
          const used = cpu();
          const stats = await receiver.stats();
          if (!all) log(`${key}: ${stats.received} of ${expected} received`);
          if (load.ok < events)
            log(
              `${key}: ${load.ok} of ${events} publishes accepted, ${load.errors5xx} 5xx, ${load.otherErrors} other (first refused: ${client.failures.first ?? 'none'}; first thrown: ${load.firstThrown ?? 'none'})`,
            );
          record(key, all ? (stats.received / (stats.lastAt - t0)) * 1000 : Number.NaN);
          record(`${key} publish events/s`, (load.ok / load.elapsedMs) * 1000);
          record(`${key} 5xx`, load.errors5xx);
          recordCpu(key, used, Math.max(1, stats.received));
        }
        if (workers === 1) {
          // Publish → receipt at a steady 100 events/s, fan-out 1, one worker.
          await system.reset(receiver.url, 1);
          await receiver.reset();
          const steady = await openLoop({
            ratePerSec: 100,
            durationMs: options.latencyMs,
            call: () => client.post(publishBody()),
          });
          await waitUntil(async () => (await receiver.stats()).received >= steady.ok, 30_000);
          const { latencies } = await receiver.stats();
          for (const p of [50, 90, 99]) record(`latency p${p} ms ${system.name}`, percentile(latencies, p));
        }
        await stop(...procs);
      }
      // Publishing alone, fan-out 1, no worker: what the API and the database take per event.
      await system.reset(receiver.url, 1);
      const cpu = startCpu(meterOf([api.proc], cluster, receiver));
      const alone = await closedLoop({
        concurrency: PUBLISHERS,
        durationMs: options.windowMs,
        call: () => client.post(publishBody()),
      });
      record(`publish alone ${system.name}`, (alone.ok / alone.elapsedMs) * 1000);
      record(`publish alone 5xx ${system.name}`, alone.errors5xx);
      recordCpu(`publish alone ${system.name}`, cpu(), Math.max(1, alone.ok));
    } finally {
      await client.close();
      await stop(api.proc);
    }
  }
}
