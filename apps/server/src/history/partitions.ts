import type { Logger } from 'pino';
import type { Sql } from '../db/sql.ts';
import { NOW, sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { longestRetentionDays, type RetentionPolicy, setRetentionPolicy } from './retention.ts';

// History (events, finished dispatches, calls) lives in weekly RANGE partitions (migration
// 20261202200000_history_partitions). Weekly rather than daily: a default retention of 7 to 90 days
// is 2 to 14 partitions per table, so a lookup by id (which cannot prune: ids are random, as
// Apify's) probes at most ~15 small indexes, and planning stays cheap; a day's partitions would be
// 90 per table for 90 days. The price: history is kept up to a week longer than its retention (a
// week drops when its last day is past the retention).

const WEEK_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

/** The partitioned history tables and their partition keys. */
export const HISTORY_TABLES = [
  { table: 'Event', key: 'createdAt' },
  { table: 'Dispatch', key: 'finishedAt' },
  { table: 'DispatchCall', key: 'startedAt' },
] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number]['table'];

/** Weeks created ahead of now: a month of writes need no maintenance run. */
export const PARTITION_WEEKS_AHEAD = 4;
/** How often each server process checks its partitions (it also does at start). */
export const PARTITION_MAINTENANCE_INTERVAL_MS = 3600_000;
// Serializes maintenance across processes sharing one PostgreSQL database.
const MAINTENANCE_LOCK_KEY = 'ricochet-history-partitions';

export type HistoryPartition = {
  table: HistoryTable;
  name: string;
  from: Date;
  to: Date;
  /** Exact on PGlite; PostgreSQL's estimate (pg_class.reltuples) when it has one. */
  rows: number;
  bytes: number;
};

/** Monday 00:00 UTC of the week `at` is in (partitions are ISO weeks, as date_trunc('week') gives). */
export function weekStart(at: Date): Date {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * DAY_MS);
}

const BOUND = /FROM \('([^']+)'\) TO \('([^']+)'\)/;
const utc = (value: string) => new Date(`${value.replace(' ', 'T')}Z`);

/** Every partition of the history tables with its range, oldest first. */
export async function listHistoryPartitions(sql: Sql): Promise<HistoryPartition[]> {
  const rows = await sql.query<{
    parent: HistoryTable;
    name: string;
    bound: string;
    estimate: number;
    bytes: string | number;
  }>(
    `SELECT p.relname AS "parent", c.relname AS "name", pg_get_expr(c.relpartbound, c.oid) AS "bound",
      c.reltuples::float8 AS "estimate", pg_total_relation_size(c.oid) AS "bytes"
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_namespace n ON n.oid = p.relnamespace
    WHERE n.nspname = current_schema() AND p.relname IN ('Event', 'Dispatch', 'DispatchCall')`,
  );
  const partitions: HistoryPartition[] = [];
  for (const row of rows) {
    const match = BOUND.exec(row.bound);
    if (!match) continue;
    let rowCount = row.estimate;
    // Never analyzed (PGlite has no autovacuum; a fresh PostgreSQL table): counted instead.
    if (rowCount < 0) {
      const [count] = await sql.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "${row.name}"`);
      rowCount = count?.n ?? 0;
    }
    partitions.push({
      table: row.parent,
      name: row.name,
      from: utc(match[1] as string),
      to: utc(match[2] as string),
      rows: Math.round(rowCount),
      bytes: Number(row.bytes),
    });
  }
  return partitions.sort((a, b) => a.from.getTime() - b.from.getTime() || a.table.localeCompare(b.table));
}

/** PostgreSQL's refusal of a row no partition takes ("no partition of relation ... found for row"). */
export function isMissingPartition(error: unknown): boolean {
  const candidate = error as { code?: unknown; message?: unknown } | null;
  return (
    candidate?.code === '23514' &&
    typeof candidate.message === 'string' &&
    candidate.message.includes('no partition of relation')
  );
}

/** Creates the missing week partitions of every history table covering [from, to). Returns how many. */
export async function createHistoryPartitions(sql: Sql, args: { from: Date; to: Date }): Promise<number> {
  const [row] = await sql.query<{ created: number }>(
    `SELECT "ricochet_create_history_partitions"($1::timestamp, $2::timestamp) AS "created"`,
    [args.from.toISOString(), args.to.toISOString()],
  );
  return row?.created ?? 0;
}

/**
 * Drops one partition. An event partition first hands its events' data to the queued dispatches
 * that still need it (a dispatch retrying past the retention is never lost: it keeps its own copy
 * and is delivered with it; its finished row carries it into the history). On PostgreSQL the
 * partition is detached CONCURRENTLY (no lock that stops readers and writers of the table), then
 * dropped; PGlite has one connection, so a plain DROP is as good.
 */
async function dropPartition(sql: Sql, partition: HistoryPartition): Promise<void> {
  if (partition.table === 'Event') {
    await sql.query(
      `UPDATE "DispatchQueue" q SET "eventData" = e."eventData", "resource" = e."resource"
      FROM "${partition.name}" e
      WHERE q."eventId" = e."id" AND q."createdAt" = e."createdAt" AND q."eventData" IS NULL
        AND q."createdAt" < $1::timestamp`,
      [partition.to.toISOString()],
    );
  }
  if (sql.backend === 'postgres') {
    await sql.query(`ALTER TABLE "${partition.table}" DETACH PARTITION "${partition.name}" CONCURRENTLY`);
  }
  await sql.query(`DROP TABLE "${partition.name}"`);
}

/**
 * A detach CONCURRENTLY that was interrupted (a process died in it) leaves its partition "detach
 * pending"; finishing it is the only way on.
 */
async function finishPendingDetaches(sql: Sql): Promise<void> {
  if (sql.backend !== 'postgres') return;
  const pending = await sql.query<{ parent: string; name: string }>(
    `SELECT p.relname AS "parent", c.relname AS "name"
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE i.inhdetachpending AND p.relname IN ('Event', 'Dispatch', 'DispatchCall')`,
  );
  for (const row of pending) {
    await sql.query(`ALTER TABLE "${row.parent}" DETACH PARTITION "${row.name}" FINALIZE`);
  }
}

export type MaintenanceReport = {
  /** Partitions created by this run. */
  created: number;
  /** Names of the partitions this run dropped. */
  dropped: string[];
  /** The same partitions: their table and week. */
  droppedPartitions: Array<Pick<HistoryPartition, 'table' | 'name' | 'from' | 'to'>>;
  /** The longest retention in force (days): what drops go by. */
  retentionDays: number;
  /** Partitions wholly older than this are dropped. */
  dropBefore: Date;
};

/**
 * One maintenance run: creates the weeks from now to PARTITION_WEEKS_AHEAD ahead, and drops every
 * week that ended before now minus the longest retention. "Now" is both clocks: the process's
 * (which stamps calls and finished dispatches) and the database's (which stamps events), so a
 * process whose clock jumped ahead still finds the partitions it writes into, and a clock that
 * jumped ahead (or behind) never drops a week the other clock still writes: weeks are created from
 * the earlier of the two to beyond the later, and dropped by the earlier.
 */
export async function maintainHistoryPartitions(
  prisma: PrismaClient,
  args: { policy: RetentionPolicy; now: Date },
): Promise<MaintenanceReport> {
  const sql = sqlFor(prisma);
  const [dbClock] = await sql.query<{ now: Date }>(`SELECT ${NOW} AS "now"`);
  const dbNow = dbClock?.now ?? args.now;
  const earlier = new Date(Math.min(args.now.getTime(), dbNow.getTime()));
  const later = new Date(Math.max(args.now.getTime(), dbNow.getTime()));
  const retentionDays = await longestRetentionDays(prisma, args.policy.installationDays);
  const dropBefore = new Date(earlier.getTime() - retentionDays * DAY_MS);

  const run = async (tx: Sql): Promise<MaintenanceReport | null> => {
    if (tx.backend === 'postgres') {
      const [lock] = await tx.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS "locked"`,
        [MAINTENANCE_LOCK_KEY],
      );
      // Another process is doing it now.
      if (!lock?.locked) return null;
    }
    const created = await createHistoryPartitions(tx, {
      from: weekStart(earlier),
      to: new Date(weekStart(later).getTime() + (PARTITION_WEEKS_AHEAD + 1) * WEEK_MS),
    });
    return { created, dropped: [], droppedPartitions: [], retentionDays, dropBefore };
  };
  const report = (await sql.transaction(run)) ?? {
    created: 0,
    dropped: [],
    droppedPartitions: [],
    retentionDays,
    dropBefore,
  };

  // Drops run outside a transaction: DETACH ... CONCURRENTLY cannot run in one. Two processes
  // dropping at once: the loser's statement fails on a partition the other took, which is fine.
  await finishPendingDetaches(sql);
  const expired = (await listHistoryPartitions(sql)).filter(
    (partition) => partition.to.getTime() <= dropBefore.getTime(),
  );
  for (const partition of expired) {
    try {
      await dropPartition(sql, partition);
      report.dropped.push(partition.name);
      report.droppedPartitions.push({
        table: partition.table,
        name: partition.name,
        from: partition.from,
        to: partition.to,
      });
    } catch (error) {
      const [still] = await sql.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [partition.name]);
      if (still) throw error;
    }
  }
  return report;
}

/**
 * Keeps the history partitions of one database: a run at start, then every
 * PARTITION_MAINTENANCE_INTERVAL_MS. The interval is a timer, not a wall-clock schedule, so a clock
 * jump delays nothing; each run works from the clocks as they are then, not from what an earlier run
 * created, so a jump in either direction is caught up in one run.
 */
export class HistoryMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<MaintenanceReport | null> | undefined;
  /** The last run's report, for the admin overview and /metrics. */
  last: (MaintenanceReport & { at: Date }) | undefined;

  readonly policy: RetentionPolicy;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      policy: RetentionPolicy;
      logger: Logger;
      clock?: () => Date;
      intervalMs?: number;
      /**
       * Told of each run that dropped partitions, after the drops (they cannot share a transaction:
       * DETACH ... CONCURRENTLY runs outside one): main.ts publishes ricochet.retention.dropped.
       */
      onDropped?: (report: MaintenanceReport) => Promise<void>;
    },
  ) {
    this.policy = deps.policy;
    setRetentionPolicy(deps.prisma, deps.policy);
  }

  private now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  /** Runs once (awaited: the weeks ahead exist before anything is written), then on a timer. */
  async start(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(
      () => void this.runOnce(),
      this.deps.intervalMs ?? PARTITION_MAINTENANCE_INTERVAL_MS,
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run; a run already under way is joined rather than doubled. Failures are logged, not thrown. */
  runOnce(): Promise<MaintenanceReport | null> {
    this.running ??= (async () => {
      try {
        const report = await maintainHistoryPartitions(this.deps.prisma, {
          policy: this.deps.policy,
          now: this.now(),
        });
        this.last = { ...report, at: this.now() };
        if (report.created > 0 || report.dropped.length > 0) {
          this.deps.logger.info(
            { created: report.created, dropped: report.dropped, retentionDays: report.retentionDays },
            'history partitions maintained',
          );
        }
        if (report.dropped.length > 0 && this.deps.onDropped) {
          await this.deps.onDropped(report).catch((error: unknown) => {
            this.deps.logger.error({ err: error }, 'reporting dropped history partitions failed');
          });
        }
        return report;
      } catch (error) {
        this.deps.logger.error({ err: error }, 'history partition maintenance failed; retried next run');
        return null;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}

/** What operators see of the history's storage (admin overview, /metrics). */
export type HistoryStorage = {
  databaseBytes: number;
  partitions: HistoryPartition[];
  oldestPartitionStart: Date | null;
  /** When the oldest week becomes due to drop (it goes with the first maintenance run after it). */
  nextDropAt: Date | null;
  retentionDays: number;
};

export async function historyStorage(prisma: PrismaClient, policy: RetentionPolicy): Promise<HistoryStorage> {
  const sql = sqlFor(prisma);
  const [size] = await sql.query<{ bytes: string | number }>(
    `SELECT pg_database_size(current_database()) AS "bytes"`,
  );
  const partitions = await listHistoryPartitions(sql);
  const retentionDays = await longestRetentionDays(prisma, policy.installationDays);
  const oldest = partitions[0];
  return {
    databaseBytes: Number(size?.bytes ?? 0),
    partitions,
    oldestPartitionStart: oldest?.from ?? null,
    nextDropAt: oldest ? new Date(oldest.to.getTime() + retentionDays * DAY_MS) : null,
    retentionDays,
  };
}
