// Where a publish's time goes: CPU milliseconds per published event in each process (the API,
// the PostgreSQL backends serving it, this load generator), for Ricochet or the minimal pipeline
// (C3), with 32 concurrent publishers for a few seconds. Not part of `pnpm bench`; a tool for
// finding costs. CPU time per event holds up on a busy machine far better than events/s.
//   node --import tsx bench/cpu-per-publish.ts [--c3] [--fanout=1] [--seconds=8] [--profile]
// --profile writes the API's CPU profile (node --cpu-prof) to ./profiles.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool as HttpPool } from 'undici';
import { applyMigrationsToPostgres } from '../src/db/migrate.ts';
import { BENCH_TOKEN, seedBenchUser } from './bench-user.ts';

const { values: flags } = parseArgs({
  options: {
    c3: { type: 'boolean', default: false },
    fanout: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '8' },
    profile: { type: 'boolean', default: false },
  },
});
const FANOUT = Number(flags.fanout);
const CONNECTIONS = 32;
const TOKEN = BENCH_TOKEN;
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PORT = 9050;

/** user + system CPU milliseconds a process has used (Linux /proc; 0 once it is gone). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

const name = `cpu_per_publish_${randomBytes(3).toString('hex')}`;
const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}"`);
const url = new URL(SERVER_URL);
url.pathname = `/${name}`;
const databaseUrl = url.toString();
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });

if (flags.c3) {
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/minimal-pipeline.ts', '--setup'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  await pool.query(
    `INSERT INTO mp_webhook (url, event_type) SELECT 'http://127.0.0.1:1/hook/' || i, 'ACTOR.RUN.SUCCEEDED' FROM generate_series(1, $1::int) i`,
    [FANOUT],
  );
} else {
  await applyMigrationsToPostgres(databaseUrl);
  // Webhooks at a closed port: nothing delivers here, this measures publishing.
  await seedBenchUser(pool, 'http://127.0.0.1:1', FANOUT);
}

const api = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    ...(flags.profile ? ['--cpu-prof', '--cpu-prof-dir=profiles'] : []),
    ...(flags.c3 ? ['bench/minimal-pipeline.ts', '--api'] : ['src/main.ts', '--api']),
  ],
  {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(PORT),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '1000000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const http = new HttpPool(`http://127.0.0.1:${PORT}`, { connections: CONNECTIONS });
const publish = async () => {
  const response = await http.request({
    method: 'POST',
    path: flags.c3 ? '/events' : '/v2/events',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'a', at: Date.now() } }),
  });
  await response.body.dump();
  return response.statusCode;
};
for (let attempt = 0; ; attempt++) {
  if (attempt > 600) throw new Error('the API did not start within a minute');
  if (
    await publish().then(
      (status) => status < 300,
      () => false,
    )
  )
    break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
// Warm up (connections, JIT, prepared statements), then measure.
await Promise.all(Array.from({ length: CONNECTIONS * 4 }, publish));
const backends = (
  await pool.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  )
).rows.map((row) => row.pid as number);
const pgCpu = () => backends.reduce((sum, pid) => sum + cpuMs(pid), 0);
const before = { api: cpuMs(api.pid as number), pg: pgCpu(), self: process.cpuUsage() };
let ok = 0;
let failed = 0;
const started = performance.now();
const end = Date.now() + Number(flags.seconds) * 1000;
await Promise.all(
  Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < end) {
      if ((await publish()) < 300) ok++;
      else failed++;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const self = process.cpuUsage(before.self);
const events = ok + failed;
const per = (ms: number) => (ms / events).toFixed(3);
console.log(
  `${flags.c3 ? 'C3' : 'Ricochet'}, fan-out ${FANOUT}: ${(ok / seconds).toFixed(0)} events/s, ${failed} failed; ` +
    `CPU ms per event: API ${per(cpuMs(api.pid as number) - before.api)}, PostgreSQL ${per(pgCpu() - before.pg)}, ` +
    `load generator ${per((self.user + self.system) / 1000)}`,
);

await http.close();
api.kill('SIGTERM');
await new Promise((resolve) => api.once('exit', resolve));
await pool.end();
await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
await admin.end();
