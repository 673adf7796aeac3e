import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { AppError } from './errors.ts';

// scrypt from node's crypto (no native add-on to build). N=2^15, r=8 costs ~32 MiB and ~50 ms per
// hash on this class of machine: slow for a guesser, fine for a sign-in.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const MAX_MEMORY = 64 * 1024 * 1024;

/**
 * scrypt runs on libuv's thread pool (4 threads), which also serves DNS lookups of outbound calls,
 * compressed request bodies and file access: a flood of sign-ins must not take all of it, nor all
 * the cores. So at most HASHING_CONCURRENCY hashes run at once (half the cores, at least one), at
 * most HASHING_QUEUE wait, and any more are refused at once with 429 (the sign-in limits in
 * sign-in-throttle.ts stop a single attacker long before that).
 */
const HASHING_CONCURRENCY = Math.max(1, Math.min(2, Math.floor(availableParallelism() / 2)));
const HASHING_QUEUE = 32;

let hashing = 0;
let peakHashing = 0;
const waiting: Array<() => void> = [];

/** How many hashes run now, and the most that ever ran at once (for the metrics and tests). */
export function hashingLoad(): { running: number; peak: number; waiting: number } {
  return { running: hashing, peak: peakHashing, waiting: waiting.length };
}

async function withHashingSlot<Result>(work: () => Promise<Result>): Promise<Result> {
  if (hashing >= HASHING_CONCURRENCY) {
    if (waiting.length >= HASHING_QUEUE) {
      throw new AppError('rate-limit-exceeded', 'Too many sign-ins at once; retry in a moment.', {
        retryAfterSeconds: 1,
      });
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    hashing++;
  }
  peakHashing = Math.max(peakHashing, hashing);
  try {
    return await work();
  } finally {
    // The slot passes straight to the next in line, if any.
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: MAX_MEMORY };
  return withHashingSlot(
    () =>
      new Promise((resolve, reject) =>
        scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
          error ? reject(error) : resolve(key),
        ),
      ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64), so the cost can be raised later without breaking old hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Verifying against this when the user does not exist keeps the answer time the same (no user enumeration). */
export const DUMMY_PASSWORD_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
