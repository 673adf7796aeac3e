import type { BenchCluster } from '../lib/cluster.ts';
import { type CpuMeter, processCpuMs, startCpu } from '../lib/cpu.ts';
import { waitUntil } from '../lib/load.ts';
import { stop, waitForListeners } from '../lib/processes.ts';
import type { BenchReceiver } from '../lib/receiver.ts';
import { log, record, recordCpu } from '../lib/results.ts';
import { type BenchSystem, warmUp } from '../lib/systems.ts';

export type DrainOptions = { events: number; workerCounts: number[]; fanouts: number[] };

/**
 * Draining a backlog: `events` events (a fifth of them at fan-out 10) with their dispatches
 * committed at once, timed (and its CPU counted) from the commit until every dispatch is recorded delivered, with the
 * CPU milliseconds per delivery of the workers, the database cluster and the receiver.
 */
export async function drains(
  systems: BenchSystem[],
  cluster: BenchCluster,
  receiver: BenchReceiver,
  options: DrainOptions,
): Promise<void> {
  for (const workers of options.workerCounts) {
    for (const system of systems) {
      const procs = await Promise.all(Array.from({ length: workers }, () => system.startWorker()));
      await waitForListeners(system.pool, workers);
      await warmUp(system, receiver);
      // The job queue's jobs are one per POST whatever the fan-out: one fan-out is enough.
      for (const fanout of system.name === 'jobqueue' ? options.fanouts.slice(0, 1) : options.fanouts) {
        const events = fanout === 1 ? options.events : Math.floor(options.events / 5);
        await system.reset(receiver.url, fanout);
        const meter: CpuMeter = {
          workers: () => procs.reduce((sum, proc) => sum + processCpuMs(proc.child.pid as number), 0),
          receiver: receiver.cpuMs,
          ...(cluster.cpuMs && { postgres: cluster.cpuMs }),
        };
        await receiver.reset();
        // Timed from the commit: the backlog's INSERT is the benchmark's own SQL, not the system's work.
        const total = await system.backlog(events);
        const t0 = performance.now();
        const cpu = startCpu(meter);
        // Wait on the receiver first (cheap to ask), then on the database: polling a count in the
        // database all along would add its own cost to the database's CPU.
        const received = await waitUntil(async () => (await receiver.stats()).received >= total, 180_000, 20);
        const finished =
          received && (await waitUntil(async () => (await system.delivered()) >= total, 30_000, 10));
        const seconds = (performance.now() - t0) / 1000;
        const used = cpu();
        const key = `drain fo${fanout} w${workers} ${system.name}`;
        if (!finished) log(`${key}: only ${await system.delivered()} of ${total} delivered`);
        record(key, finished ? total / seconds : Number.NaN);
        recordCpu(key, used, total);
      }
      await stop(...procs);
    }
  }
}
