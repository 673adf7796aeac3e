import { Pool as HttpPool } from 'undici';
import { processCpuMs } from './cpu.ts';
import { type Proc, startNode } from './processes.ts';

export type ReceiverGroup = { received: number; latencies: number[]; firstAt: number; lastAt: number };

export type ReceiverStats = {
  received: number;
  duplicates: number;
  distinct: number;
  latencies: number[];
  firstAt: number;
  lastAt: number;
  /** Requests held open under /hang/. */
  hanging: number;
  groups: Record<string, ReceiverGroup>;
};

export type BenchReceiver = {
  proc: Proc;
  url: string;
  stats(): Promise<ReceiverStats>;
  reset(): Promise<void>;
  cpuMs(): number;
};

/** The benchmark's receiver (bench/pipelines/receiver.ts) in a process of its own. */
export async function startBenchReceiver(): Promise<BenchReceiver> {
  const proc = startNode(['bench/pipelines/receiver.ts'], {});
  const port = Number(/listening (\d+)/.exec(await proc.waitForLine(/listening \d+/))?.[1]);
  const url = `http://127.0.0.1:${port}`;
  const client = new HttpPool(url, { connections: 2 });
  return {
    proc,
    url,
    stats: async () =>
      (await (await client.request({ method: 'GET', path: '/' })).body.json()) as ReceiverStats,
    reset: async () => {
      await (await client.request({ method: 'POST', path: '/reset' })).body.dump();
    },
    cpuMs: () => processCpuMs(proc.child.pid as number),
  };
}
