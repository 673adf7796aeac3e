import { createHash } from 'node:crypto';
import {
  type ApiToken,
  type Capability,
  type CreatedApiToken,
  capabilitiesFor,
  type SessionInfo,
  type TokenScope,
} from '@ricochet/schema';
import { sqlFor } from '../db/sql.ts';
import type { ApiToken as ApiTokenRow, PrismaClient } from '../generated/prisma/client.ts';
import { recordNotFound } from './errors.ts';
import { newApiToken, newRecordId } from './ids.ts';

/** Who a request acts for, as resolved from its token. */
export type Principal = {
  userId: string;
  tokenId: string;
  scope: TokenScope;
  isAdmin: boolean;
  /** What this principal may reach (an API token: everything its user may; see capabilitiesFor). */
  capabilities: Capability[];
  /** Set when the principal comes from a dashboard session cookie rather than a token. */
  session?: { id: string; csrfToken: string; info: SessionInfo };
};

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const PREFIX_LENGTH = 'ricochet_api_'.length + 4;

export function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** Stores a token's hash; the token itself is returned this once and never again. */
export async function createApiToken(
  prisma: PrismaClient,
  args: { userId: string; name: string; scope: TokenScope; token?: string },
): Promise<CreatedApiToken> {
  const token = args.token ?? newApiToken();
  const row = await prisma.apiToken.create({
    data: {
      id: newRecordId(),
      userId: args.userId,
      name: args.name,
      scope: args.scope,
      tokenHash: hashToken(token),
      prefix: token.slice(0, PREFIX_LENGTH),
    },
  });
  return { ...toApiToken(row), token };
}

export async function listApiTokens(prisma: PrismaClient, args: { userId: string }): Promise<ApiToken[]> {
  const rows = await prisma.apiToken.findMany({
    where: { userId: args.userId, revokedAt: null },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map(toApiToken);
}

export async function revokeApiToken(
  prisma: PrismaClient,
  args: { userId: string; tokenId: string },
): Promise<void> {
  const { count } = await prisma.apiToken.updateMany({
    where: { id: args.tokenId, userId: args.userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw recordNotFound('API token', args.tokenId);
}

/** lastUsedAt is a hint for people, so it is written at most once a minute per token, not per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Resolves a presented token to its principal, or null when it is unknown or revoked. */
export async function authenticateToken(prisma: PrismaClient, token: string): Promise<Principal | null> {
  // Every request runs this: one query on the driver, not Prisma's two (token, then user).
  const [row] = await sqlFor(prisma).query<{
    id: string;
    userId: string;
    scope: TokenScope;
    revokedAt: Date | null;
    lastUsedAt: Date | null;
    isAdmin: boolean;
    disabledAt: Date | null;
  }>(
    `SELECT t."id", t."userId", t."scope"::text AS "scope", t."revokedAt", t."lastUsedAt", u."isAdmin", u."disabledAt"
     FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."tokenHash" = $1`,
    [hashToken(token)],
    'ricochet_authenticate_token',
  );
  // A disabled user's tokens stop working at once, like their sessions.
  if (!row || row.revokedAt || row.disabledAt) return null;
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  return {
    userId: row.userId,
    tokenId: row.id,
    scope: row.scope,
    isAdmin: row.isAdmin,
    capabilities: capabilitiesFor({ mode: 'FULL', isAdmin: row.isAdmin }),
  };
}
