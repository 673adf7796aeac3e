import { createHmac } from 'node:crypto';

const STANDARD_SECRET_PREFIX = 'whsec_';
// Strict standard base64 (what the Standard Webhooks libraries decode). Node's own decoder skips bad
// characters silently, so without this check a typo'd secret would sign with a different key than
// the receiver's library derives.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key of a Standard Webhooks signature. `whsec_<base64>` secrets are the decoded bytes, as
 * the Standard Webhooks libraries derive them. Any other string (SuperOffice lets people choose their
 * secret, and a `whsec_` prefix followed by something that is not base64 is such a choice) is its
 * UTF-8 bytes.
 */
export function secretKeyBytes(secret: string): Buffer {
  if (secret.startsWith(STANDARD_SECRET_PREFIX)) {
    const encoded = secret.slice(STANDARD_SECRET_PREFIX.length);
    if (encoded.length > 0 && STRICT_BASE64.test(encoded)) return Buffer.from(encoded, 'base64');
  }
  return Buffer.from(secret, 'utf8');
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
  const content = `${messageId}.${timestamp}.${body}`;
  return secrets
    .map(
      (secret) =>
        `v1,${createHmac('sha256', secretKeyBytes(secret)).update(content, 'utf8').digest('base64')}`,
    )
    .join(' ');
}

/**
 * The `X-SuperOffice-Signature` header value: base64 HMAC-SHA256 of the body. The key is the UTF-8
 * bytes of the secret exactly as stored, `whsec_` prefix included, because that is what SuperOffice
 * does and what receivers written against it (`Encoding.UTF8.GetBytes(secret)`) verify with.
 */
export function superOfficeSignature(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest('base64');
}
