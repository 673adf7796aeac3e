import type { CreatedUser, CreateUserInput, User } from '@ricochet/schema';
import { Prisma, type PrismaClient, type User as UserRow } from '../generated/prisma/client.ts';
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

/** Creates a user with a first FULL token, so the new user can sign in to the API at once. */
export async function createUser(
  prisma: PrismaClient,
  args: { input: Required<CreateUserInput>; token?: string },
): Promise<CreatedUser> {
  try {
    return await prisma.$transaction(async (tx) => {
      const row = await tx.user.create({
        data: { id: newRecordId(), username: args.input.username, isAdmin: args.input.isAdmin },
      });
      const token = await createApiToken(tx as PrismaClient, {
        userId: row.id,
        name: 'default',
        scope: 'FULL',
        ...(args.token !== undefined && { token: args.token }),
      });
      return { user: toUser(row), token };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new AppError('record-not-unique', `A user named ${args.input.username} already exists.`);
    }
    throw error;
  }
}

/**
 * On a fresh install (no users yet) creates the first admin, with the operator's token when given.
 * Returns the created user and token, or null when the install already has users.
 */
export async function bootstrapAdmin(
  prisma: PrismaClient,
  args: { username: string; token?: string },
): Promise<CreatedUser | null> {
  if ((await prisma.user.count()) > 0) return null;
  return createUser(prisma, {
    input: { username: args.username, isAdmin: true },
    ...(args.token !== undefined && { token: args.token }),
  });
}
