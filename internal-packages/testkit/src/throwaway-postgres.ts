import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl on a free port), so a test can stop and
 * restart it without touching the server every other test uses. PostgreSQL refuses to run as
 * root, so as root it runs as the `postgres` OS user.
 */
export type ThrowawayPostgres = {
  /** The server's `postgres` database. */
  url: string;
  /** A new, empty database on the server. */
  createDatabase(name: string): Promise<string>;
  port: number;
  stop(): void;
  start(): void;
  running(): boolean;
  destroy(): void;
};

/** The directory of pg_ctl and initdb, or undefined when PostgreSQL's server programs are not installed. */
export function postgresBinDir(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

/**
 * A new directory (under the OS's temp dir, named `prefix…`) that PostgreSQL may own, and a runner
 * of PostgreSQL's programs (initdb, pg_ctl): PostgreSQL refuses to run as root, so as root both are
 * the `postgres` OS user's.
 */
export function postgresWorkDir(prefix: string): {
  dir: string;
  run: (program: string, args: string[]) => void;
} {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server programs (initdb, pg_ctl) are not installed.');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const run = (program: string, args: string[]) => {
    const command = asRoot
      ? ['runuser', '-u', 'postgres', '--', join(bin, program), ...args]
      : [join(bin, program), ...args];
    execFileSync(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  return { dir, run };
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const { dir: dataDir, run } = postgresWorkDir('ricochet-throwaway-pg-');
  const pgdata = join(dataDir, 'data');
  run('initdb', ['-D', pgdata, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dataDir} -c fsync=off`;
  let running = false;
  const start = () => {
    run('pg_ctl', ['-D', pgdata, '-l', join(dataDir, 'log'), '-w', '-t', '120', '-o', options, 'start']);
    running = true;
  };
  const stop = () => {
    run('pg_ctl', ['-D', pgdata, '-m', 'fast', '-w', '-t', '120', 'stop']);
    running = false;
  };
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    start,
    stop,
    running: () => running,
    createDatabase: async (name) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    destroy: () => {
      try {
        stop();
      } catch {
        // Already stopped.
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
