import { randomBytes } from 'node:crypto';
import {
  type BrandingOverride,
  capabilitiesFor,
  type SessionInfo,
  type SessionMode,
  type SignInInput,
  type TokenScope,
} from '@ricochet/schema';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { AppError } from './errors.ts';
import { newRecordId } from './ids.ts';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './passwords.ts';
import {
  assertSignInAllowed,
  recordSignInFailure,
  recordSignInSuccess,
  type SignInLimits,
} from './sign-in-throttle.ts';
import { authenticateToken, hashToken, type Principal, tokensChanged } from './tokens.ts';
import { toUser } from './users.ts';

/** A dashboard session lasts a week from sign-in; signing out or disabling the user ends it sooner. */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/** How long the first admin's setup link works. */
export const SETUP_LINK_TTL_MS = 24 * 3600_000;
const LAST_SEEN_RESOLUTION_MS = 60_000;

export type NewSession = { token: string; expiresAt: Date; info: SessionInfo };

/**
 * What each random credential of the dashboard starts with: a session's cookie or header value, its
 * CSRF token, and a single-use link's token (setup, portal). A recognisable shape lets the logger cut
 * any that reaches a log line (logger.ts), and secret scanners find leaked ones.
 */
export const CREDENTIAL_PREFIXES = {
  session: 'ricochet_session_',
  csrf: 'ricochet_csrf_',
  link: 'ricochet_link_',
} as const;

/** 256 random bits, base64url, after the prefix of its kind. */
export function secret(kind: keyof typeof CREDENTIAL_PREFIXES): string {
  return `${CREDENTIAL_PREFIXES[kind]}${randomBytes(32).toString('base64url')}`;
}

const invalidCredentials = () => new AppError('token-not-valid', 'The username or password is not right.');

export async function createSession(
  prisma: PrismaClient,
  args: {
    userId: string;
    scope?: TokenScope;
    mode?: SessionMode;
    expiresAt?: Date;
    branding?: BrandingOverride | null;
  },
): Promise<NewSession> {
  const token = secret('session');
  const row = await prisma.session.create({
    data: {
      id: newRecordId(),
      userId: args.userId,
      tokenHash: hashToken(token),
      csrfToken: secret('csrf'),
      scope: args.scope ?? 'FULL',
      mode: args.mode ?? 'FULL',
      expiresAt: args.expiresAt ?? new Date(Date.now() + SESSION_TTL_MS),
      ...(args.branding && { branding: args.branding }),
    },
    include: { user: true },
  });
  return { token, expiresAt: row.expiresAt, info: sessionInfoOf(row) };
}

type SessionRow = NonNullable<Awaited<ReturnType<typeof findSession>>>;

function sessionInfoOf(row: SessionRow): SessionInfo {
  return {
    user: toUser(row.user),
    mode: row.mode,
    scope: row.scope,
    capabilities: capabilitiesFor({ mode: row.mode, isAdmin: row.user.isAdmin }),
    csrfToken: row.csrfToken,
    expiresAt: row.expiresAt.toISOString(),
    branding: (row.branding as BrandingOverride | null) ?? null,
  };
}

function findSession(prisma: PrismaClient, token: string) {
  return prisma.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
}

/**
 * Username + password. Wrong username and wrong password answer alike, in about the same time.
 * Failures are counted per account and per client address (sign-in-throttle.ts); a locked one is
 * refused with 429 before any password is hashed.
 */
export async function signInWithPassword(
  prisma: PrismaClient,
  args: { input: SignInInput; clientAddress?: string | undefined; limits: SignInLimits },
): Promise<NewSession> {
  const { input, limits } = args;
  const attempt = { username: input.username, clientAddress: args.clientAddress };
  // One attempt at a time per account in this process: otherwise a batch of attempts made at once
  // would all pass the check before the first failure is counted.
  const userId = await oneAtATime(`account:${input.username}`, async () => {
    await assertSignInAllowed(prisma, attempt, limits);
    const user = await prisma.user.findUnique({ where: { username: input.username } });
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user?.passwordHash || !ok || user.disabledAt) {
      await recordSignInFailure(prisma, attempt, limits);
      throw invalidCredentials();
    }
    await recordSignInSuccess(prisma, attempt);
    return user.id;
  });
  return createSession(prisma, { userId });
}

const runningByKey = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier call with the same key has settled (a per-key queue in memory). */
async function oneAtATime<Result>(key: string, work: () => Promise<Result>): Promise<Result> {
  const previous = runningByKey.get(key) ?? Promise.resolve();
  const current = previous.then(work, work);
  const settled = current.then(
    () => {},
    () => {},
  );
  runningByKey.set(key, settled);
  try {
    return await current;
  } finally {
    if (runningByKey.get(key) === settled) runningByKey.delete(key);
  }
}

/**
 * An API token signs its user in; a read-only token gives a read-only session. Wrong tokens count
 * against the client address, like wrong passwords.
 */
export async function signInWithToken(
  prisma: PrismaClient,
  args: { token: string; clientAddress?: string | undefined; limits: SignInLimits },
): Promise<NewSession> {
  const attempt = { clientAddress: args.clientAddress };
  await assertSignInAllowed(prisma, attempt, args.limits);
  const principal = await authenticateToken(prisma, args.token);
  if (!principal) {
    await recordSignInFailure(prisma, attempt, args.limits);
    throw new AppError('token-not-valid', 'That API token is not valid or was revoked.');
  }
  return createSession(prisma, { userId: principal.userId, scope: principal.scope });
}

/** The principal of a session cookie, or null when it is unknown, expired or its user is disabled. */
export async function authenticateSession(prisma: PrismaClient, token: string): Promise<Principal | null> {
  const row = await findSession(prisma, token);
  if (!row || row.expiresAt.getTime() <= Date.now() || row.user.disabledAt) return null;
  if (Date.now() - row.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await prisma.session.update({ where: { id: row.id }, data: { lastSeenAt: new Date() } });
  }
  const info = sessionInfoOf(row);
  return {
    userId: row.userId,
    tokenId: `session:${row.id}`,
    scope: row.scope,
    // A portal session never acts as an admin, whoever its user is.
    isAdmin: row.user.isAdmin && row.mode === 'FULL',
    capabilities: info.capabilities,
    session: { id: row.id, csrfToken: row.csrfToken, info },
  };
}

export async function signOut(prisma: PrismaClient, args: { sessionId: string }): Promise<void> {
  await prisma.session.deleteMany({ where: { id: args.sessionId } });
}

/**
 * A fresh install's first admin has no password yet: each start makes a new single-use setup link
 * (the previous ones stop working), so the URL printed by the latest start is the one that works.
 * Returns null once the admin has a password.
 */
export async function createSetupLink(
  prisma: PrismaClient,
): Promise<{ token: string; username: string } | null> {
  const admin = await prisma.user.findFirst({ where: { isAdmin: true }, orderBy: { createdAt: 'asc' } });
  if (!admin || admin.passwordHash) return null;
  const token = secret('link');
  await prisma.$transaction([
    prisma.signInLink.deleteMany({ where: { userId: admin.id, purpose: 'SETUP' } }),
    prisma.signInLink.create({
      data: {
        id: newRecordId(),
        userId: admin.id,
        tokenHash: hashToken(token),
        purpose: 'SETUP',
        expiresAt: new Date(Date.now() + SETUP_LINK_TTL_MS),
      },
    }),
  ]);
  return { token, username: admin.username };
}

/**
 * Whose setup link this is, so the page can greet them; refused when used, expired or unknown, with
 * what to do next: once the first admin has a password, setup is over and there is no new link to
 * get (restarting prints none), so they sign in; before that, the latest start printed the link
 * that works.
 */
export async function describeSetupLink(prisma: PrismaClient, args: { token: string }) {
  const link = await prisma.signInLink.findUnique({
    where: { tokenHash: hashToken(args.token) },
    include: { user: true },
  });
  if (link?.purpose === 'SETUP' && !link.usedAt && link.expiresAt.getTime() > Date.now()) {
    return { username: link.user.username };
  }
  const firstAdmin = await prisma.user.findFirst({ where: { isAdmin: true }, orderBy: { createdAt: 'asc' } });
  if (!firstAdmin || firstAdmin.passwordHash) {
    throw new AppError(
      'token-not-valid',
      'This setup link was already used: the administrator has chosen a password. Sign in with it.',
    );
  }
  throw new AppError(
    'token-not-valid',
    link?.usedAt
      ? 'This setup link was already used.'
      : 'This setup link has expired or was replaced by a newer one: use the link Ricochet printed when it last started (restarting prints a new one).',
  );
}

/** Uses the setup link once: sets the password and signs the admin in. */
export async function completeSetup(
  prisma: PrismaClient,
  args: { token: string; password: string },
): Promise<NewSession> {
  await describeSetupLink(prisma, { token: args.token });
  const passwordHash = await hashPassword(args.password);
  // The conditional update is what makes the link single-use when two requests race.
  const used = await prisma.signInLink.updateManyAndReturn({
    where: { tokenHash: hashToken(args.token), usedAt: null },
    data: { usedAt: new Date() },
  });
  const link = used[0];
  if (!link) throw new AppError('token-not-valid', 'This setup link was already used.');
  await prisma.user.update({ where: { id: link.userId }, data: { passwordHash } });
  return createSession(prisma, { userId: link.userId });
}

/** Sets a user's password (CLI or an admin); the user's existing sessions end. */
export async function setPassword(
  prisma: PrismaClient,
  args: { userId: string; password: string },
): Promise<void> {
  const passwordHash = await hashPassword(args.password);
  const { count } = await prisma.user.updateMany({ where: { id: args.userId }, data: { passwordHash } });
  if (count === 0) throw new AppError('record-not-found', `User was not found (ID: ${args.userId}).`);
  await prisma.session.deleteMany({ where: { userId: args.userId } });
}

/** Disables (or enables) a user: its tokens and sessions stop working at once. */
export async function setUserDisabled(
  prisma: PrismaClient,
  args: { userId: string; disabled: boolean; actingUserId: string },
) {
  if (args.userId === args.actingUserId && args.disabled) {
    throw new AppError('invalid-input', 'You cannot disable yourself.');
  }
  const { count } = await prisma.user.updateMany({
    where: { id: args.userId },
    data: { disabledAt: args.disabled ? new Date() : null },
  });
  if (count === 0) throw new AppError('record-not-found', `User was not found (ID: ${args.userId}).`);
  if (args.disabled) {
    await prisma.session.deleteMany({ where: { userId: args.userId } });
    await tokensChanged(prisma);
  }
}
