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
    statements: { type: 'boolean', default: false },
  },
});
const list = (value: string) => value.split(',').map(Number);
process.on('SIGINT', () => {
  killEverything();
  process.exit(130);
});
// --profile: every Ricochet process writes a CPU profile to bench/profiles when it exits.
if (values.profile) process.env.BENCH_PROFILE_DIR = new URL('../profiles', import.meta.url).pathname;
if (values.statements) process.env.BENCH_PG_STATEMENTS = '1';
try {
  const cluster = await benchCluster(log);
  const receiver = await startBenchReceiver();
  const systems: BenchSystem[] = [];
  if (!values.only || values.only === 'ricochet') systems.push(await ricochetSystem(cluster));
  if (!values.only || values.only === 'minimal') systems.push(await minimalSystem(cluster));
  if (values.statements) {
    for (const system of systems)
      await system.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }
  for (let rep = 0; rep < Number(values.reps); rep++) {
    if (positionals[0] === 'drains') {
      await drains(systems, cluster, receiver, {
        events: Number(values.events),
        workerCounts: list(values.workers),
        fanouts: list(values.fanouts),
      });
    }
  }
  if (values.statements) {
    for (const system of systems) {
      const { rows } = await system.pool.query(
        `SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, round(mean_plan_time::numeric, 3) AS plan_ms, plans,
           rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY total_exec_time DESC LIMIT 12`,
      );
      log(`${system.label}: statements by total time`);
      for (const row of rows)
        log(
          `  ${row.total_ms} ms, ${row.calls} calls, ${row.mean_ms} ms each (+${row.plan_ms} planning, ${row.plans} plans), ${row.rows} rows: ${row.query}`,
        );
    }
  }
} finally {
  killEverything();
}
process.exit(0);
