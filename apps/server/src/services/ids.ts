import { randomBytes } from 'node:crypto';
import { RECORD_ID_ALPHABET, RECORD_ID_LENGTH } from '@ricochet/schema';
import { customAlphabet } from 'nanoid';

/** Apify-style record id: 17 random alphanumerics (~101 bits). */
export const newRecordId = customAlphabet(RECORD_ID_ALPHABET, RECORD_ID_LENGTH);

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
