import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { standardSecretKeyBytes } from '@ricochet/schema';

/**
 * The HMAC key of a Standard Webhooks signature: the rule lives in the schema package, so the SDK's
 * verifyWebhook derives exactly the key this signs with.
 */
export function secretKeyBytes(secret: string): Buffer {
  return Buffer.from(standardSecretKeyBytes(secret));
}

/** Secrets whose HMAC keys are kept ready: decoding a secret on every call is a cost for nothing. */
const KEYS_KEPT = 1000;
const standardKeys = new Map<string, KeyObject>();
const superOfficeKeys = new Map<string, KeyObject>();

function keyOf(cache: Map<string, KeyObject>, secret: string, bytes: (secret: string) => Buffer): KeyObject {
  let key = cache.get(secret);
  if (key === undefined) {
    if (cache.size >= KEYS_KEPT) cache.clear();
    key = createSecretKey(bytes(secret));
    cache.set(secret, key);
  }
  return key;
}

export type StandardSignatureInput = {
  /** Every secret currently live: the new one and, during a rotation grace period, the old one(s). */
  secrets: string[];
  /** The `webhook-id` header value. */
  messageId: string;
  /** The `webhook-timestamp` header value, in unix seconds. */
  timestamp: number;
  /** The exact bytes sent as the request body. */
  body: string;
};

/**
 * The `webhook-signature` header value: `v1,<base64 HMAC-SHA256>` per live secret, space-separated,
 * so a receiver that has only the old or only the new secret verifies during a rotation.
 */
export function standardWebhookSignature({
  secrets,
  messageId,
  timestamp,
  body,
}: StandardSignatureInput): string {
  if (secrets.length === 0) throw new RangeError('standardWebhookSignature needs at least one secret');
  // The signed content has the decimal timestamp in it; a fraction or an exponent would never match
  // what the receiver reads from the webhook-timestamp header.
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`webhook timestamp must be whole unix seconds, got ${timestamp}`);
  }
  return secrets
    .map((secret) => `v1,${standardWebhookMac(secret, { messageId, timestamp, body }).toString('base64')}`)
    .join(' ');
}

/** One secret's HMAC-SHA256 of a Standard Webhooks signed content (`id.timestamp.body`). */
export function standardWebhookMac(
  secret: string,
  { messageId, timestamp, body }: Omit<StandardSignatureInput, 'secrets'>,
): Buffer {
  return createHmac('sha256', keyOf(standardKeys, secret, secretKeyBytes))
    .update(`${messageId}.${timestamp}.${body}`, 'utf8')
    .digest();
}

/**
 * The `X-SuperOffice-Signature` header value: base64 HMAC-SHA256 of the body. The key is the UTF-8
 * bytes of the secret exactly as stored, `whsec_` prefix included, because that is what SuperOffice
 * does and what receivers written against it (`Encoding.UTF8.GetBytes(secret)`) verify with.
 */
export function superOfficeSignature(secret: string, body: string): string {
  const key = keyOf(superOfficeKeys, secret, (text) => Buffer.from(text, 'utf8'));
  return createHmac('sha256', key).update(body, 'utf8').digest('base64');
}
