import type { Config } from '../config.ts';
import { sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';

const DAY_MS = 86_400_000;

/**
 * How long history is kept: events, finished dispatches and their calls. Enforced by dropping whole
 * week partitions (history/partitions.ts) once they are older than the longest retention
 * any user has; a user whose retention is shorter than that sees no history older than theirs (the
 * readers below cut it off), so one customer's short plan never drops another's history, and no row
 * is ever DELETEd for retention. Dispatches still being delivered (the queue) are never cut off.
 */
export type RetentionPolicy = {
  /** The installation's RETENTION_DAYS: every user's unless their own retentionDays says otherwise. */
  installationDays: number;
};

/** Defaults: a small one for the embedded database of `pnpm start`, a month on PostgreSQL. */
export const DEFAULT_RETENTION_DAYS = { pglite: 7, postgres: 30 } as const;

export function retentionFrom(config: Pick<Config, 'RETENTION_DAYS' | 'DATABASE_URL'>): RetentionPolicy {
  return {
    installationDays:
      config.RETENTION_DAYS ??
      (config.DATABASE_URL === undefined ? DEFAULT_RETENTION_DAYS.pglite : DEFAULT_RETENTION_DAYS.postgres),
  };
}

const policies = new WeakMap<PrismaClient, RetentionPolicy>();

/**
 * Registers the installation's retention under the database's Prisma client (buildApp and the
 * history maintenance do it), so services that receive `prisma` apply it without another parameter.
 */
export function setRetentionPolicy(prisma: PrismaClient, policy: RetentionPolicy): void {
  policies.set(prisma, policy);
}

export function retentionPolicyOf(prisma: PrismaClient): RetentionPolicy | undefined {
  return policies.get(prisma);
}

/** How far back one user's history goes. */
export type HistoryWindow = {
  /** The user's retention in days (their own, or the installation's). */
  retentionDays: number;
  /** Nothing created before this is shown (finished dispatches, events, their calls). */
  historyStartsAt: Date;
};

/**
 * One user's history window, or null when no retention was registered for this database (a tool
 * that opened it without the server's settings sees everything that is stored).
 */
export async function historyWindow(
  prisma: PrismaClient,
  userId: string,
  now: Date = new Date(),
): Promise<HistoryWindow | null> {
  const policy = policies.get(prisma);
  if (!policy) return null;
  const [row] = await sqlFor(prisma).query<{ retentionDays: number | null }>(
    `SELECT "retentionDays" FROM "User" WHERE "id" = $1`,
    [userId],
  );
  const retentionDays = row?.retentionDays ?? policy.installationDays;
  return { retentionDays, historyStartsAt: new Date(now.getTime() - retentionDays * DAY_MS) };
}

/**
 * The longest retention of the installation and of any user: partitions older than this are
 * dropped. Users' longer retentions hold partitions for everyone (their rows share the weeks), and
 * shorter ones are read-side cut-offs.
 */
export async function longestRetentionDays(prisma: PrismaClient, installationDays: number): Promise<number> {
  const [row] = await sqlFor(prisma).query<{ days: number | null }>(
    `SELECT max("retentionDays")::int AS "days" FROM "User"`,
  );
  return Math.max(installationDays, row?.days ?? 0);
}

export function daysAgo(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}
