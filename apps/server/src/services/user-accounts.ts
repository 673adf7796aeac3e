import type { CreateUserAccountInput, UserAccount } from '@ricochet/schema';
import { Prisma, type PrismaClient, type User as UserRow } from '../generated/prisma/client.ts';
import { AppError } from './errors.ts';
import { newRecordId } from './ids.ts';
import { hashPassword } from './passwords.ts';
import { toUser } from './users.ts';

function toUserAccount(row: UserRow): UserAccount {
  return { ...toUser(row), disabled: row.disabledAt !== null, hasPassword: row.passwordHash !== null };
}

export async function listUserAccounts(prisma: PrismaClient): Promise<UserAccount[]> {
  const rows = await prisma.user.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toUserAccount);
}

/** A dashboard user: a password to sign in with, and no API token until they create one. */
export async function createUserAccount(
  prisma: PrismaClient,
  args: { input: Required<CreateUserAccountInput> },
): Promise<UserAccount> {
  const passwordHash = await hashPassword(args.input.password);
  try {
    const row = await prisma.user.create({
      data: { id: newRecordId(), username: args.input.username, isAdmin: args.input.isAdmin, passwordHash },
    });
    return toUserAccount(row);
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new AppError('record-not-unique', `A user named ${args.input.username} already exists.`);
    }
    throw error;
  }
}
