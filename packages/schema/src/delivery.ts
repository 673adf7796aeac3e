/**
 * What a receiver needs to check a delivery, with no zod in it, so that `@ricochet/schema/delivery`
 * stays a few hundred bytes in a browser or edge bundle (the SDK's verifyWebhook imports it).
 */
export { DELIVERY_HEADERS } from './headers.ts';

const STANDARD_SECRET_PREFIX = 'whsec_';
// Strict standard base64 (what the Standard Webhooks libraries decode). Lenient decoders skip bad
// characters silently, so without this check a typo'd secret would sign with a different key than
// the receiver's library derives.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key of a Standard Webhooks signature. `whsec_<base64>` secrets are the decoded bytes, as
 * the Standard Webhooks libraries derive them. Any other string (SuperOffice lets people choose their
 * secret, and a `whsec_` prefix followed by something that is not base64 is such a choice) is its
 * UTF-8 bytes. The signer (the server's worker) and the verifier (the SDK) both use this one rule.
 */
export function standardSecretKeyBytes(secret: string): Uint8Array {
  if (secret.startsWith(STANDARD_SECRET_PREFIX)) {
    const encoded = secret.slice(STANDARD_SECRET_PREFIX.length);
    if (encoded.length > 0 && STRICT_BASE64.test(encoded)) {
      return Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
    }
  }
  return new TextEncoder().encode(secret);
}
