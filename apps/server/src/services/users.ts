import type {
  CreatedUser,
  CreateUserInput,
  HistoryWindow as HistoryWindowAnswer,
  SetAlertEmailInput,
  SetRetentionInput,
  User,
} from '@ricochet/schema';
import { Prisma, type PrismaClient, type User as UserRow } from '../generated/prisma/client.ts';
import { historyWindow, retentionPolicyOf } from '../history/retention.ts';
import { AppError, recordNotFound } from './errors.ts';
import { newRecordId } from './ids.ts';
import { createApiToken } from './tokens.ts';

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    isAdmin: row.isAdmin,
    externalId: row.externalId,
    createdAt: row.createdAt.toISOString(),
    retentionDays: row.retentionDays,
    alertEmail: row.alertEmail,
  };
}

/** Where alert e-mails about the user's webhooks go; null stops them. */
export async function setAlertEmail(
  prisma: PrismaClient,
  args: { userId: string; input: SetAlertEmailInput },
): Promise<User> {
  const updated = await prisma.user.updateMany({
    where: { id: args.userId },
    data: { alertEmail: args.input.alertEmail },
  });
  if (updated.count === 0) throw recordNotFound('User', args.userId);
  return getUser(prisma, { userId: args.userId });
}

/**
 * An admin sets a user's own retention (null: the installation's). Takes effect on the user's next
 * read; partitions follow at the next maintenance run (a longer retention keeps them from then on,
 * but cannot bring back what was already dropped).
 */
export async function setUserRetention(
  prisma: PrismaClient,
  args: { userId: string; input: SetRetentionInput },
): Promise<User> {
  const updated = await prisma.user.updateMany({
    where: { id: args.userId },
    data: { retentionDays: args.input.retentionDays },
  });
  if (updated.count === 0) throw recordNotFound('User', args.userId);
  return getUser(prisma, { userId: args.userId });
}

/** How far back the user's history goes (GET /v2/users/me/history). */
export async function getHistoryWindow(
  prisma: PrismaClient,
  args: { userId: string },
): Promise<HistoryWindowAnswer> {
  const policy = retentionPolicyOf(prisma);
  const window = await historyWindow(prisma, args.userId);
  if (!policy || !window) throw new Error('no retention policy is registered for this database');
  return {
    retentionDays: window.retentionDays,
    historyStartsAt: window.historyStartsAt.toISOString(),
    installationRetentionDays: policy.installationDays,
  };
}

export async function getUser(prisma: PrismaClient, args: { userId: string }): Promise<User> {
  const row = await prisma.user.findUnique({ where: { id: args.userId } });
  if (!row) throw recordNotFound('User', args.userId);
  return toUser(row);
}

export async function listUsers(prisma: PrismaClient): Promise<User[]> {
  const rows = await prisma.user.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toUser);
}

/**
 * Creates a user with a first FULL token, whose value is in the answer this once: for the REST API
 * and the CLI, which hand it to whoever asked. A user made any other way gets no token until one is
 * asked for (see bootstrapAdmin, ensureUserByExternalId, createUserAccount).
 */
export async function createUser(
  prisma: PrismaClient,
  args: { input: Required<CreateUserInput>; token?: string; tokenName?: string },
): Promise<CreatedUser> {
  try {
    return await prisma.$transaction(async (tx) => {
      const row = await tx.user.create({
        data: { id: newRecordId(), username: args.input.username, isAdmin: args.input.isAdmin },
      });
      const token = await createApiToken(tx as PrismaClient, {
        userId: row.id,
        name: args.tokenName ?? 'default',
        scope: 'FULL',
        ...(args.token !== undefined && { token: args.token }),
      });
      return { user: toUser(row), token };
    });
  } catch (error) {
    throw uniqueUsername(error, args.input.username);
  }
}

function uniqueUsername(error: unknown, username: string): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
    return new AppError('record-not-unique', `A user named ${username} already exists.`);
  }
  return error;
}

/**
 * On a fresh install (no users yet) creates the first admin: with the operator's token when
 * RICOCHET_ADMIN_TOKEN is set, otherwise with none (the printed setup link signs them in, and they
 * make tokens when they want some). Returns the user, or null when the install already has users.
 */
export async function bootstrapAdmin(
  prisma: PrismaClient,
  args: { username: string; token?: string },
): Promise<User | null> {
  if ((await prisma.user.count()) > 0) return null;
  if (args.token !== undefined) {
    const created = await createUser(prisma, {
      input: { username: args.username, isAdmin: true },
      token: args.token,
      tokenName: 'RICOCHET_ADMIN_TOKEN',
    });
    return created.user;
  }
  try {
    const row = await prisma.user.create({
      data: { id: newRecordId(), username: args.username, isAdmin: true },
    });
    return toUser(row);
  } catch (error) {
    throw uniqueUsername(error, args.username);
  }
}
