import { DELIVERY_HEADERS, type TemplateVariables } from '@ricochet/schema';
import { headersToSend, urlAuthorization } from './http-sender.ts';
import { type RequestSignatures, renderBody, signedHeaders } from './payload.ts';
import { standardWebhookMac, superOfficeSignature } from './signing.ts';
import { storedHeaders, storedRequestBody } from './stored-call.ts';

// How a call's request is stored (DispatchCall's request columns), in one of two forms:
//
// - Full: `requestHeaders` (json, in the order sent) and `requestBody`, as handed to the HTTP
//   client. Calls recorded before migration 20261202183000_compact_history, and any request that
//   the compact form would not give back exactly (headers cut at the storage limits, a header
//   Ricochet's builder did not write, a body past its limit).
// - Compact: only what cannot be derived again. `requestTimestamp` (set only in this form) is the
//   webhook-timestamp; `requestSignatures` which secrets signed (null without a secret, see
//   SIGNED_BY below); `requestParts` what differs from this format's
//   constants: the customer's headers as rendered (`h`), the request origin (`o`), the user agent
//   (`ua`), the W3C traceparent the call carried (`t`, set by the worker after every other header
//   Ricochet writes, see withTraceparent); `requestBody` null when the body is Apify's default payload, rendered again from the
//   event (immutable) with the same renderer. The headers are rebuilt by the very functions the
//   sender used (signedHeaders, headersToSend, urlAuthorization), and the worker keeps the compact
//   form only after rebuilding it and finding every header the same, name, value and order, so a
//   reader shows exactly what was sent.
//
// The constants below are this format's, not the installation's settings: a later change of the
// user agent or the configured origin must not change how older calls read. A change to what
// signedHeaders writes or to the default payload renderer would; test/delivery/stored-request.test.ts
// pins both.
const FORMAT_USER_AGENT = 'Ricochet-Webhooks/0.1';
const FORMAT_REQUEST_ORIGIN = 'RICOCHET';
/** Bytes of one HMAC-SHA256. */
const MAC_BYTES = 32;
// requestSignatures holds either the HMACs themselves (32 bytes per Standard Webhooks secret, then
// SuperOffice's 32: a multiple of 32 bytes), or, since it was found to be a fifth of a delivery's
// bytes, which secrets signed: SIGNED_BY, then the first MAC_PREFIX_BYTES bytes of each Standard
// Webhooks HMAC in the order sent (1 + 4k bytes: odd, so never a multiple of 32). A reader computes
// each HMAC again with the secret of the webhook whose HMAC starts so (secrets are never deleted
// but with their webhook, whose calls go too), and SuperOffice's with the first of them, as the
// sender does. The worker keeps this form only when rebuilding from it gives every header back;
// a body cut at its storage limit, for one, was signed whole and keeps the HMACs.
const SIGNED_BY = 1;
const MAC_PREFIX_BYTES = 4;

/** What differs from the compact format's constants (absent keys: the constant). */
export type RequestParts = { h?: Record<string, string>; o?: string; ua?: string; t?: string };

/** A call's request, as the columns of DispatchCall hold it. */
export type StoredRequest = {
  requestUrl: string;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  requestTimestamp: number | null;
  /** Base64 of the raw HMAC bytes (the column is bytea). */
  requestSignatures: string | null;
  requestParts: RequestParts | null;
};

/** What a request is derived from besides its stored parts: its dispatch and its event. */
export type RequestContext = {
  dispatchId: string;
  webhookId: string;
  /** The event's data as the worker rendered it; null when the event is gone. */
  variables: TemplateVariables | null;
  /** Every secret the webhook has (expired ones too), in any order: what signed it is among them. */
  secrets: string[];
};

/** A webhook with no templates: its body is Apify's default payload (see sendsDefaultPayload). */
const DEFAULT_PAYLOAD_WEBHOOK = {
  id: '',
  requestUrl: '',
  payloadTemplate: null,
  headersTemplate: null,
  shouldInterpolateStrings: false,
  headers: null,
  properties: null,
};

function signaturesFromHeaders(headers: Record<string, string>): Buffer | null | undefined {
  const standard = headers[DELIVERY_HEADERS.standardSignature];
  const superOffice = headers[DELIVERY_HEADERS.superOfficeSignature];
  if (standard === undefined && superOffice === undefined) return null;
  if (standard === undefined || superOffice === undefined) return undefined;
  const macs: Buffer[] = [];
  for (const part of [...standard.split(' ').map((one) => one.slice('v1,'.length)), superOffice]) {
    const mac = Buffer.from(part, 'base64');
    if (mac.length !== MAC_BYTES) return undefined;
    macs.push(mac);
  }
  return Buffer.concat(macs);
}

/** The SIGNED_BY form of a request's HMACs (see above), from the HMACs as signaturesFromHeaders reads them. */
function signedBy(macs: Buffer): Buffer {
  const standard = macs.length / MAC_BYTES - 1;
  const bytes = Buffer.alloc(1 + standard * MAC_PREFIX_BYTES);
  bytes[0] = SIGNED_BY;
  for (let index = 0; index < standard; index++) {
    macs.copy(bytes, 1 + index * MAC_PREFIX_BYTES, index * MAC_BYTES, index * MAC_BYTES + MAC_PREFIX_BYTES);
  }
  return bytes;
}

/** What the signatures of a stored request are computed again from (see signaturesFromBytes). */
type SignedContent = { dispatchId: string; timestamp: number; body: string | null; secrets: string[] };

/**
 * The signature headers of a stored request: the HMACs as stored, or, in the SIGNED_BY form,
 * computed again with the secrets whose HMACs begin as stored. Null when there were none, or when
 * they cannot be computed again (the body is gone with its event).
 */
function signaturesFromBytes(bytes: Uint8Array | null, signed: SignedContent): RequestSignatures {
  if (bytes === null) return null;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length % MAC_BYTES !== 0) return signaturesOfSecrets(buffer, signed);
  if (buffer.length < 2 * MAC_BYTES) return null;
  const macs: string[] = [];
  for (let offset = 0; offset + MAC_BYTES <= buffer.length; offset += MAC_BYTES) {
    macs.push(buffer.subarray(offset, offset + MAC_BYTES).toString('base64'));
  }
  const superOffice = macs.pop() as string;
  return { standard: macs.map((mac) => `v1,${mac}`).join(' '), superOffice };
}

function signaturesOfSecrets(bytes: Buffer, signed: SignedContent): RequestSignatures {
  const { body } = signed;
  if (bytes[0] !== SIGNED_BY || body === null || bytes.length < 1 + MAC_PREFIX_BYTES) return null;
  const content = { messageId: signed.dispatchId, timestamp: signed.timestamp, body };
  const macs: Buffer[] = [];
  let first: string | undefined;
  // In one order whoever asks (the worker checking what it stores, a reader later), so two secrets
  // whose Standard Webhooks keys are the same bytes (`abc` and `whsec_YWJj`) but whose SuperOffice
  // keys differ resolve alike.
  const secrets = [...signed.secrets].sort();
  for (let offset = 1; offset + MAC_PREFIX_BYTES <= bytes.length; offset += MAC_PREFIX_BYTES) {
    const prefix = bytes.subarray(offset, offset + MAC_PREFIX_BYTES);
    let found: Buffer | undefined;
    for (const secret of secrets) {
      const mac = standardWebhookMac(secret, content);
      if (mac.subarray(0, MAC_PREFIX_BYTES).equals(prefix)) {
        found = mac;
        first ??= secret;
        break;
      }
    }
    if (found === undefined) return null;
    macs.push(found);
  }
  return {
    standard: macs.map((mac) => `v1,${mac.toString('base64')}`).join(' '),
    superOffice: superOfficeSignature(first as string, body),
  };
}

function authorizationOf(url: string | null): string | null {
  // Credentials need an '@' in the URL: without one there are none, and no URL to parse (a parse
  // per stored call was a few percent of the worker's time).
  if (url === null || !url.includes('@')) return null;
  try {
    return urlAuthorization(new URL(url));
  } catch {
    return null;
  }
}

/** The headers of a compactly stored request, as they were handed to the HTTP client. */
export function rebuiltHeaders(args: {
  dispatchId: string;
  webhookId: string;
  requestUrl: string | null;
  requestTimestamp: number;
  requestSignatures: Uint8Array | null;
  requestParts: RequestParts | null;
  /** The body as sent (null when it is gone) and the webhook's secrets: see signaturesFromBytes. */
  body: string | null;
  secrets: string[];
}): Record<string, string> {
  const parts = args.requestParts ?? {};
  const given = signedHeaders({
    webhookId: args.webhookId,
    dispatchId: args.dispatchId,
    customHeaders: parts.h ?? {},
    timestamp: args.requestTimestamp,
    signatures: signaturesFromBytes(args.requestSignatures, {
      dispatchId: args.dispatchId,
      timestamp: args.requestTimestamp,
      body: args.body,
      secrets: args.secrets,
    }),
    requestOrigin: parts.o ?? FORMAT_REQUEST_ORIGIN,
  });
  return headersToSend(
    parts.t === undefined ? given : withTraceparent(given, parts.t),
    parts.ua ?? FORMAT_USER_AGENT,
    authorizationOf(args.requestUrl),
  );
}

/**
 * A request's headers with the attempt's W3C `traceparent` (tracing on): set after every other
 * header, replacing any the customer's headers had (in any case), so a template cannot fake the
 * trace a call belongs to. The worker sends these; the compact form rebuilds them the same way.
 */
export function withTraceparent(
  headers: Record<string, string>,
  traceparent: string,
): Record<string, string> {
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'traceparent') delete headers[name];
  headers.traceparent = traceparent;
  return headers;
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const left = Object.entries(a);
  const right = Object.entries(b);
  return (
    left.length === right.length &&
    left.every(([name, value], index) => {
      const other = right[index] as [string, string];
      return other[0] === name && other[1] === value;
    })
  );
}

/**
 * How the worker stores the request of a call: `sentHeaders` as handed to the HTTP client, `body`
 * as sent (null when no request could be built), `defaultPayload` when the body is Apify's default
 * payload rendered from `context.variables` (sendsDefaultPayload). Compact when rebuilding it gives
 * back exactly the headers stored in full form would be; full otherwise.
 */
export function storedRequest(args: {
  context: RequestContext;
  url: string;
  sentHeaders: Record<string, string>;
  body: string | null;
  defaultPayload: boolean;
}): StoredRequest {
  const headers = storedHeaders(args.sentHeaders);
  const body = args.body === null ? null : storedRequestBody(args.body);
  const full: StoredRequest = {
    requestUrl: args.url,
    requestHeaders: headers,
    requestBody: body,
    requestTimestamp: null,
    requestSignatures: null,
    requestParts: null,
  };
  if (body === null) return full;
  // The default payload (not cut) is not stored: a reader renders it again from the same event
  // with renderBody, which gives what the sender rendered (sendsDefaultPayload), so `body` is the
  // body a reader will have either way, and the signatures below are checked against it.
  const defaultPayload = args.defaultPayload && body === args.body && args.context.variables !== null;
  const entries = Object.entries(headers);
  // Ricochet's own headers start with Content-Type; what comes before is the customer's.
  const own = entries.findIndex(([name]) => name === DELIVERY_HEADERS.contentType);
  const timestamp = Number(headers[DELIVERY_HEADERS.standardTimestamp]);
  const signatures = signaturesFromHeaders(headers);
  if (own < 0 || !Number.isSafeInteger(timestamp) || signatures === undefined) return full;
  const parts: RequestParts = {};
  if (own > 0) parts.h = Object.fromEntries(entries.slice(0, own));
  const origin = headers[DELIVERY_HEADERS.requestOrigin];
  if (origin !== undefined && origin !== FORMAT_REQUEST_ORIGIN) parts.o = origin;
  const userAgent = headers['user-agent'];
  if (userAgent !== undefined && userAgent !== FORMAT_USER_AGENT) parts.ua = userAgent;
  const traceparent = headers.traceparent;
  if (traceparent !== undefined) parts.t = traceparent;
  const requestParts = Object.keys(parts).length > 0 ? parts : null;
  // Which secrets signed, if that gives the signatures back from the body a reader will have;
  // else the HMACs (a cut body was signed whole).
  for (const stored of signatures === null ? [null] : [signedBy(signatures), signatures]) {
    const rebuilt = rebuiltHeaders({
      dispatchId: args.context.dispatchId,
      webhookId: args.context.webhookId,
      requestUrl: args.url,
      requestTimestamp: timestamp,
      requestSignatures: stored,
      requestParts,
      body,
      secrets: args.context.secrets,
    });
    if (!sameEntries(rebuilt, headers)) continue;
    return {
      requestUrl: args.url,
      requestHeaders: null,
      // A cut body is not the default payload any more: it is kept as stored.
      requestBody: defaultPayload ? null : body,
      requestTimestamp: timestamp,
      requestSignatures: stored === null ? null : stored.toString('base64'),
      requestParts,
    };
  }
  return full;
}

/** A call's request columns as read back (requestSignatures as bytes). */
export type StoredRequestColumns = {
  requestUrl: string | null;
  requestHeaders: unknown;
  requestBody: string | null;
  requestTimestamp: number | null;
  requestSignatures: Uint8Array | null;
  requestParts: unknown;
};

/**
 * The request a call sent, whichever form it is stored in: headers and body as handed to the HTTP
 * client. A compact call whose default payload cannot be rendered again (its event is gone: past a
 * user's shorter retention, the event's week dropped) has no body (null), and, when its signatures
 * are stored as which secrets signed, no signature headers either: they are computed from the body.
 */
export function sentRequestOf(
  call: StoredRequestColumns,
  context: RequestContext,
): { requestHeaders: Record<string, string> | null; requestBody: string | null } {
  if (call.requestTimestamp === null) {
    return {
      requestHeaders: call.requestHeaders as Record<string, string> | null,
      requestBody: call.requestBody,
    };
  }
  const requestBody =
    call.requestBody ??
    (context.variables === null ? null : renderBody(DEFAULT_PAYLOAD_WEBHOOK, context.variables));
  const requestHeaders = rebuiltHeaders({
    dispatchId: context.dispatchId,
    webhookId: context.webhookId,
    requestUrl: call.requestUrl,
    requestTimestamp: call.requestTimestamp,
    requestSignatures: call.requestSignatures,
    requestParts: call.requestParts as RequestParts | null,
    body: requestBody,
    secrets: context.secrets,
  });
  return { requestHeaders, requestBody };
}

/** Whether a stored call's signatures are computed again from its webhook's secrets (see SIGNED_BY). */
export function signedBySecrets(call: StoredRequestColumns): boolean {
  return (
    call.requestTimestamp !== null &&
    call.requestSignatures !== null &&
    call.requestSignatures.length % MAC_BYTES !== 0
  );
}
