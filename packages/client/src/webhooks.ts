/**
 * Verifying the webhooks Ricochet sends, for receivers. Web Crypto only (no node: imports), so the
 * same code runs in Node, Bun, Deno, edge runtimes, Next.js route handlers and browsers.
 */
import { DELIVERY_HEADERS, standardSecretKeyBytes } from '@ricochet/schema/delivery';

/** Why a delivery was refused. */
export type WebhookVerificationFailure =
  | 'missing-header'
  | 'invalid-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-in-future'
  | 'no-matching-signature'
  | 'invalid-payload'
  | 'no-secret';

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookVerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

export function isWebhookVerificationError(
  error: unknown,
  reason?: WebhookVerificationFailure,
): error is WebhookVerificationError {
  return error instanceof WebhookVerificationError && (reason === undefined || error.reason === reason);
}

/** A Fetch `Headers`, or a plain object such as Node's `IncomingHttpHeaders` (any case of names). */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

export type VerifyWebhookOptions = {
  /** The request body exactly as received (do not parse and re-serialize it first). */
  payload: string | Uint8Array | ArrayBuffer;
  headers: HeadersLike;
  /** How far the timestamp may be from now, in seconds (default 300). Standard Webhooks only. */
  tolerance?: number;
  /**
   * Check `X-SuperOffice-Signature` (HMAC-SHA256 of the body keyed by the secret's UTF-8 bytes)
   * instead of the Standard Webhooks headers, for receivers written against SuperOffice. That header
   * signs no timestamp, so it cannot refuse a replayed request; prefer the default where you can.
   */
  superOffice?: boolean;
} & (
  | { /** The webhook's secret (`whsec_...` or the string you chose). */ secret: string; secrets?: never }
  | {
      /** Several secrets, e.g. the old and new one while rotating; any one may match. */
      secrets: readonly string[];
      secret?: never;
    }
);

const DEFAULT_TOLERANCE_SECONDS = 5 * 60;
const encoder = new TextEncoder();

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

function requireHeader(headers: HeadersLike, name: string): string {
  const value = header(headers, name);
  if (value === undefined || value === '') {
    throw new WebhookVerificationError('missing-header', `The ${name} header is missing.`);
  }
  return value;
}

function bytesOf(payload: VerifyWebhookOptions['payload']): Uint8Array<ArrayBuffer> {
  if (typeof payload === 'string') return encoder.encode(payload);
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  return new Uint8Array(payload); // a copy: Web Crypto wants an ArrayBuffer-backed view
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function hmacKey(keyBytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

/**
 * Whether any signature matches under any key. crypto.subtle.verify compares in constant time, so
 * nothing here leaks how much of a forged signature was right.
 */
async function anySignatureMatches(
  keys: Uint8Array<ArrayBuffer>[],
  signatures: Uint8Array<ArrayBuffer>[],
  content: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  for (const keyBytes of keys) {
    const key = await hmacKey(keyBytes);
    for (const signature of signatures) {
      if (await crypto.subtle.verify('HMAC', key, signature, content)) return true;
    }
  }
  return false;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/**
 * Checks that a delivery comes from Ricochet and returns its parsed JSON payload; throws a
 * WebhookVerificationError whose `reason` says what was wrong otherwise.
 *
 * By default it checks the Standard Webhooks headers: `webhook-timestamp` within `tolerance` of now,
 * and a `webhook-signature` entry (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) made with one of
 * the secrets. With `superOffice: true` it checks `X-SuperOffice-Signature` instead.
 */
export async function verifyWebhook<Payload = unknown>(options: VerifyWebhookOptions): Promise<Payload> {
  const secrets = options.secrets ?? (options.secret !== undefined ? [options.secret] : []);
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret === '')) {
    throw new WebhookVerificationError(
      'no-secret',
      'verifyWebhook needs the webhook secret (secret or secrets).',
    );
  }
  const body = bytesOf(options.payload);

  if (options.superOffice) {
    const signature = requireHeader(options.headers, DELIVERY_HEADERS.superOfficeSignature);
    const decoded = decodeBase64(signature.trim());
    // SuperOffice keys its HMAC with the secret's UTF-8 bytes as stored, `whsec_` prefix and all.
    const keys = secrets.map((secret) => encoder.encode(secret));
    if (!decoded || !(await anySignatureMatches(keys, [decoded], body))) {
      throw new WebhookVerificationError(
        'no-matching-signature',
        `No ${DELIVERY_HEADERS.superOfficeSignature} matches the body under the given secret(s).`,
      );
    }
    return parsePayload<Payload>(body);
  }

  const messageId = requireHeader(options.headers, DELIVERY_HEADERS.standardId);
  const timestampText = requireHeader(options.headers, DELIVERY_HEADERS.standardTimestamp);
  const signatureHeader = requireHeader(options.headers, DELIVERY_HEADERS.standardSignature);

  if (!/^\d{1,15}$/.test(timestampText)) {
    throw new WebhookVerificationError(
      'invalid-timestamp',
      `${DELIVERY_HEADERS.standardTimestamp} is not unix seconds: ${timestampText.slice(0, 40)}`,
    );
  }
  const timestamp = Number(timestampText);
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor(Date.now() / 1000);
  // Checked before any signature: an old request is refused however well it is signed (replays).
  if (timestamp < now - tolerance) {
    throw new WebhookVerificationError(
      'timestamp-too-old',
      `The delivery was signed ${now - timestamp} s ago, more than the ${tolerance} s allowed.`,
    );
  }
  if (timestamp > now + tolerance) {
    throw new WebhookVerificationError(
      'timestamp-in-future',
      `The delivery is signed ${timestamp - now} s in the future, more than the ${tolerance} s allowed.`,
    );
  }

  const signatures = signatureHeader
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decodeBase64(entry.slice(3)))
    .filter((decoded): decoded is Uint8Array<ArrayBuffer> => decoded !== undefined);
  const content = concat(encoder.encode(`${messageId}.${timestampText}.`), body);
  // Copied into fresh ArrayBuffer-backed arrays, the only kind Web Crypto's types accept.
  const keys = secrets.map((secret) => new Uint8Array(standardSecretKeyBytes(secret)));
  if (!(await anySignatureMatches(keys, signatures, content))) {
    throw new WebhookVerificationError(
      'no-matching-signature',
      'No webhook-signature matches the body under the given secret(s).',
    );
  }
  return parsePayload<Payload>(body);
}

function parsePayload<Payload>(body: Uint8Array): Payload {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as Payload;
  } catch {
    throw new WebhookVerificationError('invalid-payload', 'The body is signed but is not JSON.');
  }
}
