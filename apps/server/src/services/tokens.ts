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
  await tokensChanged(prisma);
}

/**
 * How long a resolved token is trusted without asking the database again. Revoking a token or
 * disabling a user clears this process's cache at once and NOTIFYs the other API processes (see
 * TOKEN_CHANGES_CHANNEL), so this only bounds how long a process that missed the notification (its
 * listening connection was down) may still accept the token.
 */
export const TOKEN_CACHE_TTL_MS = 5_000;
/** Entries per database at most; the cache is emptied when full (tokens in use fill it again). */
const TOKEN_CACHE_MAX_ENTRIES = 10_000;
/** API processes LISTEN here and empty their token caches on every notification. */
export const TOKEN_CHANGES_CHANNEL = 'ricochet_token_changes';

type CachedToken = { principal: Principal; lastUsedAt: number | null; until: number };
const tokenCaches = new WeakMap<PrismaClient, Map<string, CachedToken>>();

function tokenCacheOf(prisma: PrismaClient): Map<string, CachedToken> {
  let cache = tokenCaches.get(prisma);
  if (!cache) {
    cache = new Map();
    tokenCaches.set(prisma, cache);
  }
  return cache;
}

/** Empties this process's cache of resolved tokens (called on a TOKEN_CHANGES_CHANNEL notification). */
export function forgetResolvedTokens(prisma: PrismaClient): void {
  tokenCacheOf(prisma).clear();
}

/**
 * After a change that can refuse tokens (revocation, a user disabled): empties this process's
 * cache and tells the other processes to empty theirs.
 */
export async function tokensChanged(prisma: PrismaClient): Promise<void> {
  forgetResolvedTokens(prisma);
  await sqlFor(prisma).query(`SELECT pg_notify($1, '')`, [TOKEN_CHANGES_CHANNEL]);
}

/** lastUsedAt is a hint for people, so it is written at most once a minute per token, not per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves a presented token to its principal, or null when it is unknown or revoked. Every
 * request runs this, so a token resolved in the last TOKEN_CACHE_TTL_MS is answered from memory:
 * on the embedded database (one connection on this thread) that query was half of each publish.
 */
export async function authenticateToken(prisma: PrismaClient, token: string): Promise<Principal | null> {
  const tokenHash = hashToken(token);
  const cache = tokenCacheOf(prisma);
  const now = Date.now();
  const cached = cache.get(tokenHash);
  if (cached && cached.until > now) {
    if (cached.lastUsedAt === null || now - cached.lastUsedAt > LAST_USED_RESOLUTION_MS) {
      cached.lastUsedAt = now;
      await prisma.apiToken.update({
        where: { id: cached.principal.tokenId },
        data: { lastUsedAt: new Date(now) },
      });
    }
    return cached.principal;
  }
  const principal = await resolveToken(prisma, tokenHash, now);
  if (principal) {
    if (cache.size >= TOKEN_CACHE_MAX_ENTRIES) cache.clear();
    cache.set(tokenHash, { ...principal, until: now + TOKEN_CACHE_TTL_MS });
  } else {
    cache.delete(tokenHash);
  }
  return principal?.principal ?? null;
}

/** The token's principal from the database (one query on the driver, not Prisma's two), and its lastUsedAt. */
async function resolveToken(
  prisma: PrismaClient,
  tokenHash: string,
  now: number,
): Promise<{ principal: Principal; lastUsedAt: number } | null> {
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
    [tokenHash],
    'ricochet_authenticate_token',
  );
  // A disabled user's tokens stop working at once, like their sessions.
  if (!row || row.revokedAt || row.disabledAt) return null;
  let lastUsedAt = row.lastUsedAt?.getTime() ?? 0;
  if (now - lastUsedAt > LAST_USED_RESOLUTION_MS) {
    await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
    lastUsedAt = now;
  }
  const principal: Principal = {
    userId: row.userId,
    tokenId: row.id,
    scope: row.scope,
    isAdmin: row.isAdmin,
    capabilities: capabilitiesFor({ mode: 'FULL', isAdmin: row.isAdmin }),
  };
  return { principal, lastUsedAt };
}
