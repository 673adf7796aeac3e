import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, postgresBinDir, postgresWorkDir } from '@ricochet/testkit';
import pg from 'pg';
import { clusterCpuMs } from './cpu.ts';
import { onCleanup } from './processes.ts';

export type BenchCluster = {
  /** The server's `postgres` database. */
  url: string;
  /** e.g. "PostgreSQL 15.19, a cluster of the benchmark's own (default settings, synchronous commit)". */
  description: string;
  /** CPU milliseconds of the whole cluster so far, or undefined when it is not the benchmark's own. */
  cpuMs: (() => number) | undefined;
  createDatabase(prefix: string): Promise<{ url: string; pool: pg.Pool }>;
};

/**
 * The PostgreSQL server the benchmark measures on. By default a cluster of its own (initdb on a
 * free port, PostgreSQL's default settings: synchronous commit, fsync on), so its CPU can be
 * counted exactly (every process of the cluster) and nothing else on the machine shares it.
 * BENCH_DATABASE_URL names another server instead (then the cluster's CPU is not reported).
 */
export async function benchCluster(log: (message: string) => void): Promise<BenchCluster> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) {
    return withDatabases(given, `${await serverVersion(given)} at BENCH_DATABASE_URL`, undefined);
  }
  if (!postgresBinDir())
    throw new Error('PostgreSQL server programs (initdb, pg_ctl) are not installed; set BENCH_DATABASE_URL.');
  const { dir, run } = postgresWorkDir('ricochet-bench-pg-');
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust']);
  const port = await freePort();
  log(`starting the benchmark's PostgreSQL cluster on port ${port} (${dir})`);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-t',
    '120',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c max_connections=300${process.env.BENCH_PG_OPTIONS ? ` ${process.env.BENCH_PG_OPTIONS}` : ''}` +
      // BENCH_PG_STATEMENTS=1 (bench/probe.ts --statements): where the database's time goes, per statement.
      (process.env.BENCH_PG_STATEMENTS
        ? ' -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on'
        : ''),
    'start',
  ]);
  onCleanup(() => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return withDatabases(
    url,
    `${await serverVersion(url)}, a cluster of the benchmark's own (default settings: synchronous commit, fsync on)`,
    () => clusterCpuMs(postmaster),
  );
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SHOW server_version');
    return `PostgreSQL ${String(rows[0].server_version).split(' ')[0]}`;
  } finally {
    await client.end();
  }
}

function withDatabases(
  serverUrl: string,
  description: string,
  cpuMs: (() => number) | undefined,
): BenchCluster {
  return {
    url: serverUrl,
    description,
    cpuMs,
    async createDatabase(prefix) {
      const name = `${prefix}_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.end();
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
      pool.on('error', () => {});
      // BENCH_KEEP_DATABASES=1 (with BENCH_DATABASE_URL) leaves them behind, to EXPLAIN against.
      onCleanup(() => {
        if (process.env.BENCH_KEEP_DATABASES) return;
        try {
          execFileSync('psql', [serverUrl, '-qc', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`], {
            stdio: 'ignore',
          });
        } catch {}
      });
      return { url: url.toString(), pool };
    },
  };
}

/**
 * TRUNCATE while workers may still be polling: a deadlock with one of their statements is retried,
 * after a growing pause so the worker's transaction can finish first.
 */
export async function truncate(pool: pg.Pool, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

export async function countRows(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await pool.query(sql, params)).rows[0].count);
}
