import type { EnsuredUser, EnsureUserInput, User } from '@ricochet/schema';
import { sqlFor } from '../db/sql.ts';
import type { PrismaClient, User as UserRow } from '../generated/prisma/client.ts';
import { AppError, recordNotFound } from './errors.ts';
import { newRecordId } from './ids.ts';
import { toUser } from './users.ts';

/**
 * Create-or-get of a product team's customer by the team's own id, in one statement that is safe
 * under concurrent calls: INSERT ... ON CONFLICT ("externalId") DO NOTHING, then the row that won.
 * The customer gets no token and no password: the team publishes for it with an admin token and
 * hands it the portal.
 */
export async function ensureUserByExternalId(
  prisma: PrismaClient,
  args: { input: EnsureUserInput },
): Promise<EnsuredUser> {
  const { externalId } = args.input;
  const id = newRecordId();
  const username = args.input.username ?? `customer-${id.toLowerCase()}`;
  const sql = sqlFor(prisma);
  let inserted: UserRow[];
  try {
    inserted = await sql.query<UserRow>(
      `INSERT INTO "User" ("id", "username", "externalId", "isAdmin", "createdAt")
       VALUES ($1, $2, $3, false, timezone('UTC', now()))
       ON CONFLICT ("externalId") DO NOTHING RETURNING *`,
      [id, username, externalId],
    );
  } catch (error) {
    // The externalId conflict is absorbed above; only the username can still collide.
    if ((error as { code?: string }).code === '23505') {
      throw new AppError('record-not-unique', `A user named ${username} already exists.`);
    }
    throw error;
  }
  if (inserted[0]) return { user: toUser(inserted[0]), created: true };
  const existing = await getUserByExternalId(prisma, { externalId });
  return { user: existing, created: false };
}

export async function getUserByExternalId(prisma: PrismaClient, args: { externalId: string }): Promise<User> {
  const row = await prisma.user.findUnique({ where: { externalId: args.externalId } });
  if (!row) throw recordNotFound('User with externalId', args.externalId);
  return toUser(row);
}
