import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { OperatorError } from '../operator-error.ts';

/** Locks this process holds, by key, so a second opener in the same process is told so. */
const heldHere = new Set<string>();

/** Longest path a Unix domain socket can have (108 bytes on Linux, 104 on macOS, with the NUL). */
const MAX_SOCKET_PATH = 103;

function listen(server: Server, path: string): Promise<'listening' | 'in-use'> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') resolve('in-use');
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve('listening');
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ path, exclusive: true });
  });
}

/** Whether some process accepts connections on a socket file (a stale one refuses them). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'),
    );
  });
}

function inUse(directory: string, key: string): OperatorError {
  const who = heldHere.has(key) ? 'this process' : 'another process';
  return new OperatorError(
    `The embedded database in ${directory} is already open in ${who}; it belongs to one process: ` +
      'stop that one, or use PostgreSQL (DATABASE_URL) to share a database.',
  );
}

/**
 * PGlite has no postmaster.pid: a second process opening the same folder runs its own copy of
 * PostgreSQL on the same files and the two silently corrupt each other (checked with 0.4.3).
 *
 * The lock is a listening Unix domain socket, so the kernel releases it when its holder dies, even
 * by SIGKILL; nothing stale is left to guess about. (A pid in a lock file is not enough: in a
 * container the restarted server is PID 1 again and finds its "own" pid in the stale file.)
 * On Linux an abstract socket named after the folder's device and inode is the lock: taken
 * atomically, no file at all. A socket file in the folder is held as well, because abstract
 * names are per network namespace and two containers may share the folder; a socket file nobody
 * answers on is stale and is taken over.
 */
export async function lockDataDir(directory: string): Promise<() => Promise<void>> {
  mkdirSync(directory, { recursive: true });
  const { dev, ino } = statSync(directory);
  const key = createHash('sha256').update(`${dev}:${ino}`).digest('hex').slice(0, 32);
  if (heldHere.has(key)) throw inUse(directory, key);
  const servers: Server[] = [];
  const release = async () => {
    heldHere.delete(key);
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  };
  const hold = async (path: string): Promise<'listening' | 'in-use'> => {
    // Whoever connects is only checking that the lock is held.
    const server = createServer((socket) => socket.destroy());
    const result = await listen(server, path);
    if (result === 'listening') {
      // The lock must not keep a process alive that has nothing else to do.
      server.unref();
      servers.push(server);
    }
    return result;
  };
  try {
    if (process.platform === 'linux' && (await hold(`\0ricochet-pglite-${key}`)) === 'in-use') {
      throw inUse(directory, key);
    }
    const socketPath = join(directory, 'ricochet.lock.sock');
    if (socketPath.length <= MAX_SOCKET_PATH) {
      if ((await hold(socketPath)) === 'in-use') {
        if (await answers(socketPath)) throw inUse(directory, key);
        rmSync(socketPath, { force: true });
        if ((await hold(socketPath)) === 'in-use') throw inUse(directory, key);
      }
    } else if (process.platform !== 'linux') {
      throw new OperatorError(
        `The embedded database's folder path is too long to lock (${directory}); use a shorter RICOCHET_DATA_DIR.`,
      );
    }
  } catch (error) {
    await release();
    throw error;
  }
  heldHere.add(key);
  // The lock file of earlier versions (a pid) means nothing now.
  rmSync(join(directory, 'ricochet.lock'), { force: true });
  return release;
}
