import type { Config } from '../config.ts';
import { sqlFor } from '../db/sql.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { AppError } from './errors.ts';

/**
 * Limits on guessing passwords (and sign-in tokens), kept in the database so that every API
 * process shares them. Two keys count failures: the account (`account:<username>`, whoever tries
 * it) and the client address (`client:<address>`, whatever it tries). Once a key has failed
 * `maxFailures` times in a row, each further failure locks it for twice as long as the last, from
 * `lockoutMs` up to `lockoutMaxMs`; while a key is locked its attempts are refused with 429 and
 * Retry-After before any password is hashed. A success clears the account's failures; failures
 * older than `lockoutMaxMs` (and at least an hour) are forgotten. A locked account opens again at
 * most `lockoutMaxMs` after the attacker's last failure, so its owner gets in once the attack stops
 * (API tokens keep working throughout).
 */
export type SignInLimits = {
  accountMaxFailures: number;
  clientMaxFailures: number;
  lockoutMs: number;
  lockoutMaxMs: number;
};

export function signInLimitsFrom(config: Config): SignInLimits {
  return {
    accountMaxFailures: config.SIGN_IN_MAX_FAILURES,
    clientMaxFailures: config.SIGN_IN_CLIENT_MAX_FAILURES,
    lockoutMs: config.SIGN_IN_LOCKOUT_MS,
    lockoutMaxMs: Math.max(config.SIGN_IN_LOCKOUT_MS, config.SIGN_IN_LOCKOUT_MAX_MS),
  };
}

export type SignInAttempt = { username?: string; clientAddress?: string | undefined };

function keysOf(attempt: SignInAttempt, limits: SignInLimits): Array<{ key: string; maxFailures: number }> {
  return [
    ...(attempt.username !== undefined
      ? [{ key: `account:${attempt.username}`, maxFailures: limits.accountMaxFailures }]
      : []),
    ...(attempt.clientAddress
      ? [{ key: `client:${attempt.clientAddress}`, maxFailures: limits.clientMaxFailures }]
      : []),
  ];
}

/** Refuses the attempt (429 + Retry-After) while its account or its client address is locked. */
export async function assertSignInAllowed(
  prisma: PrismaClient,
  attempt: SignInAttempt,
  limits: SignInLimits,
  now = new Date(),
): Promise<void> {
  const keys = keysOf(attempt, limits).map((entry) => entry.key);
  if (keys.length === 0) return;
  const rows = await sqlFor(prisma).query<{ key: string; blockedUntil: Date }>(
    `SELECT "key", "blockedUntil" FROM "SignInThrottle"
     WHERE "key" = ANY($1::text[]) AND "blockedUntil" > $2::timestamp(3)`,
    [keys, utc(now)],
  );
  const until = Math.max(0, ...rows.map((row) => row.blockedUntil.getTime()));
  if (until > now.getTime()) {
    const byAccount = rows.some((row) => row.key.startsWith('account:'));
    throw new AppError(
      'rate-limit-exceeded',
      `Too many failed sign-ins ${byAccount ? 'for this account' : 'from this address'}: try again in ${describeWait(until - now.getTime())}.`,
      { retryAfterSeconds: Math.max(1, Math.ceil((until - now.getTime()) / 1000)) },
    );
  }
}

// Rows of addresses that stopped failing long ago are deleted, at most once a minute per process,
// so a flood of addresses cannot grow the table for ever.
let lastSweep = 0;

/** Counts a failed attempt against its account and client address, locking them past the threshold. */
export async function recordSignInFailure(
  prisma: PrismaClient,
  attempt: SignInAttempt,
  limits: SignInLimits,
  now = new Date(),
): Promise<void> {
  const forgetBefore = new Date(now.getTime() - Math.max(limits.lockoutMaxMs, 3600_000));
  if (now.getTime() - lastSweep > 60_000) {
    lastSweep = now.getTime();
    await forgetOldSignInFailures(prisma, limits, now);
  }
  for (const { key, maxFailures } of keysOf(attempt, limits)) {
    // One statement, so concurrent failures of one key each count (the row is locked by the upsert).
    // The lockout after the n-th failure past the threshold is lockoutMs * 2^n, capped.
    await sqlFor(prisma).query(
      `INSERT INTO "SignInThrottle" AS t ("key", "failures", "lastFailureAt", "blockedUntil")
       VALUES ($1, 1, $2::timestamp(3),
               CASE WHEN 1 >= $3 THEN $2::timestamp(3) + make_interval(secs => $4::float8 / 1000) END)
       ON CONFLICT ("key") DO UPDATE SET
         "failures" = CASE WHEN t."lastFailureAt" < $6::timestamp(3) THEN 1 ELSE t."failures" + 1 END,
         "lastFailureAt" = $2::timestamp(3),
         "blockedUntil" = CASE
           WHEN (CASE WHEN t."lastFailureAt" < $6::timestamp(3) THEN 1 ELSE t."failures" + 1 END) >= $3
           THEN $2::timestamp(3) + make_interval(secs => least($5::float8,
                  $4::float8 * power(2, least(40, (CASE WHEN t."lastFailureAt" < $6::timestamp(3) THEN 1
                    ELSE t."failures" + 1 END) - $3))) / 1000)
         END`,
      [key, utc(now), maxFailures, limits.lockoutMs, limits.lockoutMaxMs, utc(forgetBefore)],
    );
  }
}

/** A success: the account starts afresh (the client address keeps its count until it ages out). */
export async function recordSignInSuccess(prisma: PrismaClient, attempt: SignInAttempt): Promise<void> {
  if (attempt.username === undefined) return;
  await sqlFor(prisma).query(`DELETE FROM "SignInThrottle" WHERE "key" = $1`, [
    `account:${attempt.username}`,
  ]);
}

/** Throttle rows nobody needs any more (unlocked and past forgetting); called now and then. */
export async function forgetOldSignInFailures(
  prisma: PrismaClient,
  limits: SignInLimits,
  now = new Date(),
): Promise<void> {
  const forgetBefore = new Date(now.getTime() - Math.max(limits.lockoutMaxMs, 3600_000));
  await sqlFor(prisma).query(
    `DELETE FROM "SignInThrottle" WHERE "lastFailureAt" < $1::timestamp(3)
       AND ("blockedUntil" IS NULL OR "blockedUntil" < $2::timestamp(3))`,
    [utc(forgetBefore), utc(now)],
  );
}

/** The columns are UTC timestamps without a zone (as Prisma writes them). */
function utc(date: Date): string {
  return date.toISOString().replace('Z', '');
}

function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
