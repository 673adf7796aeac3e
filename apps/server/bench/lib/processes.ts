import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { freePort, type RicochetProcess, startServerScript } from '@ricochet/testkit';
import type pg from 'pg';
import { countRows } from './cluster.ts';
import { waitUntil } from './load.ts';

export type Proc = RicochetProcess;

const running = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];

/** Runs `cleanup` when the benchmark ends, however it ends (last registered, first run). */
export function onCleanup(cleanup: () => void): void {
  cleanups.push(cleanup);
}

export function killEverything(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {}
  }
}

/** A TypeScript file of apps/server in a process of its own, killed when the benchmark ends. */
export function startNode(args: string[], env: Record<string, string>): Proc {
  const proc = startServerScript(args, env);
  running.add(proc.child);
  proc.child.on('exit', () => running.delete(proc.child));
  return proc;
}

export async function stop(...procs: Proc[]): Promise<void> {
  await Promise.all(
    procs.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** How every benchmark runs Ricochet: loopback receivers allowed, no rate limit, warn logs. */
export const RICOCHET_ENV = {
  OUTBOUND_ALLOW_LOOPBACK: 'true',
  RATE_LIMIT_MAX: '1000000000',
  LOG_LEVEL: 'warn',
  // Every benchmark webhook points at the one receiver; the per-host bound (a fairness guard
  // between customers) would otherwise be what is measured.
  DELIVERY_MAX_CONCURRENT_PER_HOST: '1000',
};

/**
 * With `pnpm bench --profile` (BENCH_PROFILE_DIR), every process of a system writes a CPU profile
 * to a folder of that system's own, so the two can be compared function by function.
 */
function profileFlags(system: 'ricochet' | 'minimal'): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}/${system}`] : [];
}

/** A Ricochet process (`src/main.ts` with `flags`); for an API, once /healthz answers. */
export async function startRicochet(
  flags: string[],
  env: Record<string, string>,
): Promise<{ proc: Proc; baseUrl: string }> {
  const port = await freePort();
  const proc = startNode([...profileFlags('ricochet'), 'src/main.ts', ...flags], {
    ...RICOCHET_ENV,
    PORT: String(port),
    ...env,
  });
  if (flags.includes('--worker')) return { proc, baseUrl: '' };
  const baseUrl = `http://127.0.0.1:${port}`;
  const up = await waitUntil(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`Ricochet exited:\n${proc.lines.join('\n')}`);
      // Ours, not a process that took the free port between freePort() and this one's listen (a
      // test suite run beside the benchmark did, and every publish of a part was refused 401).
      if (!(await listensOn(proc.child.pid, port))) return false;
      return fetch(`${baseUrl}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
    },
    60_000,
    100,
  );
  if (!up) throw new Error(`Ricochet did not start:\n${proc.lines.join('\n')}`);
  return { proc, baseUrl };
}

/** Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux: /proc). */
async function listensOn(pid: number | undefined, port: number): Promise<boolean> {
  if (pid === undefined) return false;
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const listening = (await readFile('/proc/net/tcp', 'utf8'))
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === local && fields[3] === '0A')
    .map((fields) => `socket:[${fields[9]}]`);
  if (listening.length === 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (listening.includes(target)) return true;
  }
  return false;
}

/** The minimal pipeline's API or worker (bench/pipelines/minimal.ts). */
export async function startMinimal(
  role: '--api' | '--worker',
  databaseUrl: string,
): Promise<{ proc: Proc; baseUrl: string }> {
  const proc = startNode([...profileFlags('minimal'), 'bench/pipelines/minimal.ts', role], {
    DATABASE_URL: databaseUrl,
  });
  if (role === '--worker') {
    await proc.waitForLine(/worker ready/, 60_000);
    return { proc, baseUrl: '' };
  }
  const port = /listening (\d+)/.exec(await proc.waitForLine(/listening \d+/, 60_000))?.[1];
  return { proc, baseUrl: `http://127.0.0.1:${port}` };
}

/** Waits until `count` workers LISTEN for NOTIFY on the database (they do once migrations ran). */
export async function waitForListeners(pool: pg.Pool, count: number): Promise<void> {
  const ready = await waitUntil(
    async () =>
      (await countRows(
        pool,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
      )) >= count,
    60_000,
    100,
  );
  if (!ready) throw new Error(`${count} workers did not start within a minute`);
}
