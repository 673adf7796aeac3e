// A quick look at one part of the benchmark while working on it (not part of `pnpm bench`):
//   node --import tsx bench/probe.ts drains [--workers=1,2] [--fanouts=1,10] [--events=2000] [--only=ricochet]
import { parseArgs } from 'node:util';
import { benchCluster } from './lib/cluster.ts';
import { killEverything } from './lib/processes.ts';
import { startBenchReceiver } from './lib/receiver.ts';
import { log } from './lib/results.ts';
import { type BenchSystem, minimalSystem, ricochetSystem } from './lib/systems.ts';
import { drains } from './scenarios/drains.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    workers: { type: 'string', default: '1' },
    fanouts: { type: 'string', default: '1,10' },
    events: { type: 'string', default: '2000' },
    only: { type: 'string' },
    reps: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
  },
});
const list = (value: string) => value.split(',').map(Number);
process.on('SIGINT', () => {
  killEverything();
  process.exit(130);
});
// --profile: every Ricochet process writes a CPU profile to bench/profiles when it exits.
if (values.profile) process.env.BENCH_PROFILE_DIR = new URL('../profiles', import.meta.url).pathname;
try {
  const cluster = await benchCluster(log);
  const receiver = await startBenchReceiver();
  const systems: BenchSystem[] = [];
  if (!values.only || values.only === 'ricochet') systems.push(await ricochetSystem(cluster));
  if (!values.only || values.only === 'minimal') systems.push(await minimalSystem(cluster));
  for (let rep = 0; rep < Number(values.reps); rep++) {
    if (positionals[0] === 'drains') {
      await drains(systems, cluster, receiver, {
        events: Number(values.events),
        workerCounts: list(values.workers),
        fanouts: list(values.fanouts),
      });
    }
  }
} finally {
  killEverything();
}
process.exit(0);
