import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { applyMigrations, applyMigrationsToPostgres, pgliteMigrationAdapter } from './migrate.ts';
import { attachSql, pgliteSql, postgresSql } from './sql.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** Called with the payload of each NOTIFY on the channel. */
export type NotificationListener = (payload: string) => void;

export type Database = {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** Set on the embedded database. */
  pglite?: PGlite;
  /** Set on PostgreSQL: the pool Prisma uses, for raw queries outside Prisma. */
  pool?: pg.Pool;
  /** Set on PostgreSQL. */
  url?: string;
  /**
   * LISTENs on a channel (exact, case-sensitive name, as given to pg_notify) and returns the
   * function that stops listening. A plain function, so it can be handed around detached.
   * On PostgreSQL one extra connection carries all channels; if it drops, it reconnects and then
   * calls every listener once with an empty payload, since notifications may have been missed.
   */
  listen(channel: string, onNotify: NotificationListener): Promise<() => Promise<void>>;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
};

export type OpenDatabaseOptions = {
  /** postgres:// URL. Unset: the embedded PGlite database in dataDir. */
  databaseUrl?: string;
  /** PGlite data folder (created if missing), or 'memory://' for a throwaway in-memory database. */
  dataDir?: string;
  /** Apply pending migrations before returning. Default true. */
  migrate?: boolean;
  /** PGlite only: start from this dumpDataDir() tarball (tests clone a migrated database this way). */
  loadDataDir?: Blob;
  /** PostgreSQL only: connections in Prisma's pool (pg's default is 10). */
  poolSize?: number;
  /** PostgreSQL only: how long a query waits for a pooled connection (POOL_CONNECTION_TIMEOUT_MS). */
  connectionTimeoutMs?: number;
};

export const DEFAULT_DATA_DIR = '.ricochet-data';

/** How long a query may wait for a pooled PostgreSQL connection before it fails (and is a 503). */
export const POOL_CONNECTION_TIMEOUT_MS = 30_000;

/** Opens PostgreSQL when databaseUrl is set, otherwise the embedded PGlite database. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const db = options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize, options.connectionTimeoutMs)
    : await openPGlite(options.dataDir ?? DEFAULT_DATA_DIR, options.loadDataDir);
  if (options.migrate ?? true) {
    try {
      await db.migrate();
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

function openPostgres(
  url: string,
  poolSize: number | undefined,
  connectionTimeoutMs = POOL_CONNECTION_TIMEOUT_MS,
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    ...(poolSize !== undefined && { max: poolSize }),
    // Without a bound, a request waits forever for a connection to a server that does not answer;
    // with it, the request fails and is answered 503 + Retry-After (http/errors.ts). Generous, so
    // a busy pool on a loaded machine is not mistaken for an outage.
    connectionTimeoutMillis: connectionTimeoutMs,
  });
  // pg emits 'error' on the pool when an idle connection dies (server restart, dropped test
  // database); unhandled, that event would crash the process. The next query reconnects.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  attachSql(prisma, postgresSql(pool));
  const notifications = new PostgresNotifications(url);
  let closing: Promise<void> | undefined;
  return {
    prisma,
    kind: 'postgres',
    pool,
    url,
    listen: (channel, onNotify) => notifications.listen(channel, onNotify),
    migrate: () => applyMigrationsToPostgres(url),
    close: () => {
      closing ??= (async () => {
        await notifications.close();
        await prisma.$disconnect();
        await pool.end();
      })();
      return closing;
    },
  };
}

async function openPGlite(dataDir: string, loadDataDir: Blob | undefined): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  const directory = inMemory ? dataDir : resolve(dataDir);
  const releaseLock = inMemory ? async () => {} : await lockDataDir(directory);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(directory, loadDataDir ? { loadDataDir } : {});
  } catch (error) {
    await releaseLock();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  attachSql(prisma, pgliteSql(pglite));
  const notifications = new PGliteNotifications(pglite);
  let closing: Promise<void> | undefined;
  return {
    prisma,
    kind: 'pglite',
    pglite,
    listen: (channel, onNotify) => notifications.listen(channel, onNotify),
    migrate: () => applyMigrations(pgliteMigrationAdapter(pglite)),
    close: () => {
      closing ??= (async () => {
        try {
          await notifications.close();
          await prisma.$disconnect();
          await pglite.close();
        } finally {
          await releaseLock();
        }
      })();
      return closing;
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The channels a Database listens to and their callbacks. LISTEN and UNLISTEN are sent here,
 * quoted, rather than through PGlite's listen(), which quotes nothing on the way in but lower-cases
 * the name when unlistening, so a mixed-case channel could never be unlistened (0.4.3).
 */
abstract class Notifications {
  protected readonly listeners = new Map<string, Set<NotificationListener>>();
  protected closed = false;
  // LISTEN, UNLISTEN, (re)connecting and closing run one at a time, so the channels the server
  // knows always match the map.
  private queue: Promise<unknown> = Promise.resolve();

  /** Sends LISTEN / UNLISTEN on the session that receives the notifications. */
  protected abstract execute(sql: string): Promise<void>;
  /** No channel left. */
  protected async idle(): Promise<void> {}
  protected async shutdown(): Promise<void> {}

  listen(channel: string, onNotify: NotificationListener): Promise<() => Promise<void>> {
    return this.serially(async () => {
      if (this.closed) throw new Error('The database is closed.');
      let callbacks = this.listeners.get(channel);
      if (!callbacks) {
        callbacks = new Set();
        this.listeners.set(channel, callbacks);
        try {
          await this.execute(`LISTEN ${quoteIdentifier(channel)}`);
        } catch (error) {
          this.listeners.delete(channel);
          throw error;
        }
      }
      // Its own entry, so the same function listening twice needs two unlistens.
      const entry: NotificationListener = (payload) => onNotify(payload);
      callbacks.add(entry);
      return () => this.serially(() => this.unlisten(channel, entry));
    });
  }

  close(): Promise<void> {
    return this.serially(async () => {
      this.closed = true;
      this.listeners.clear();
      await this.shutdown();
    });
  }

  protected dispatch(channel: string, payload: string): void {
    for (const callback of this.listeners.get(channel) ?? []) callback(payload);
  }

  protected serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => {});
    return result;
  }

  private async unlisten(channel: string, entry: NotificationListener): Promise<void> {
    const callbacks = this.listeners.get(channel);
    if (!callbacks?.delete(entry) || callbacks.size > 0) return;
    this.listeners.delete(channel);
    if (this.closed) return;
    if (this.listeners.size === 0) await this.idle();
    else await this.execute(`UNLISTEN ${quoteIdentifier(channel)}`).catch(() => {});
  }
}

class PGliteNotifications extends Notifications {
  constructor(private readonly pglite: PGlite) {
    super();
    pglite.onNotification((channel, payload) => this.dispatch(channel, payload));
  }

  protected async execute(sql: string): Promise<void> {
    await this.pglite.exec(sql);
  }

  protected override async idle(): Promise<void> {
    await this.pglite.exec('UNLISTEN *').catch(() => {});
  }
}

/** One extra connection carries all channels; it is closed when none is left, reopened when it drops. */
class PostgresNotifications extends Notifications {
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly url: string) {
    super();
  }

  protected async execute(sql: string): Promise<void> {
    const client = this.client ?? (await this.connect());
    await client.query(sql);
  }

  protected override async idle(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  protected override async shutdown(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    await this.idle();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
    // 'error' comes before 'end' when the connection breaks; unhandled it would crash the process.
    client.on('error', () => {});
    client.on('end', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.scheduleReconnect(1_000);
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.listeners.size === 0) return;
    this.reconnectTimer = setTimeout(() => {
      void this.serially(async () => {
        if (this.closed || this.client || this.listeners.size === 0) return;
        try {
          const client = await this.connect();
          for (const channel of this.listeners.keys())
            await client.query(`LISTEN ${quoteIdentifier(channel)}`);
        } catch {
          await this.idle();
          this.scheduleReconnect(Math.min(delayMs * 2, 30_000));
          return;
        }
        // Whatever was sent while disconnected is lost: wake every listener to look for itself.
        for (const channel of this.listeners.keys()) this.dispatch(channel, '');
      });
    }, delayMs);
    // A pending reconnect must not keep a process alive that has nothing else to do.
    this.reconnectTimer.unref();
  }
}
