import { randomBytes } from 'node:crypto';
import { RECORD_ID_ALPHABET, RECORD_ID_LENGTH } from '@ricochet/schema';
import { customAlphabet } from 'nanoid';

const TIME_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';
const TIME_LENGTH = 8;
const TIME_MODULUS = TIME_DIGITS.length ** TIME_LENGTH;
const randomPart = customAlphabet(RECORD_ID_ALPHABET, RECORD_ID_LENGTH - TIME_LENGTH);

/**
 * Apify-style record id: 17 alphanumerics, the first 8 the time (base 36 of the milliseconds, so
 * ids made later sort later), the other 9 random (~53 bits per millisecond). Made the same way as
 * the database's ricochet_record_id() (migration 20261202230000_history_bytes): history rows keyed
 * by id then fill their indexes' pages in order instead of splitting them at random.
 */
export function newRecordId(now = Date.now()): string {
  let rest = now % TIME_MODULUS;
  let time = '';
  for (let i = 0; i < TIME_LENGTH; i++) {
    time = (TIME_DIGITS[rest % 36] as string) + time;
    rest = Math.floor(rest / 36);
  }
  return time + randomPart();
}

const tokenBody = customAlphabet(RECORD_ID_ALPHABET, 36);
export const API_TOKEN_PREFIX = 'ricochet_api_';
/** An API token: a recognisable prefix (for secret scanners) and 36 alphanumerics (~214 bits). */
export function newApiToken(): string {
  return `${API_TOKEN_PREFIX}${tokenBody()}`;
}

/** A Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
