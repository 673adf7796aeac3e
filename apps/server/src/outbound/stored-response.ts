// How a call's response headers are stored (DispatchCall.responseHeaders, json), in one of two forms:
//
// - Full: an object of the headers as received (cut at the storage limits by storedHeaders), in
//   their order. Calls recorded before migration 20261202230000_history_bytes, and any response
//   whose compact form would not read back exactly.
// - Compact: an array, one entry per header in order: a number is the pair of that index in
//   COMMON_PAIRS; `{"d": n}` is a `date` header whose value is the HTTP date of the call's finishedAt
//   (whole seconds) plus n seconds; `{"l": n}` a `content-length` of n; `{"k": n}` a `keep-alive` of
//   `timeout=n` (what Node's http server sends); `[name, value]` any other.
//   Most receivers answer with a date, a connection header or two and a content type or length:
//   about 90 bytes in full, about 15 compact. The worker keeps the compact form only when reading
//   it back gives the very same headers, names, values and order.
//
// COMMON_PAIRS is this format's and only grows at its end: an index, once stored, means its pair
// for good.
const COMMON_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['connection', 'keep-alive'],
  ['connection', 'close'],
  ['keep-alive', 'timeout=5'],
  ['transfer-encoding', 'chunked'],
  ['content-type', 'text/plain'],
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-type', 'application/json'],
  ['content-type', 'application/json; charset=utf-8'],
  ['content-type', 'text/html; charset=utf-8'],
  ['x-powered-by', 'Express'],
  ['vary', 'Accept-Encoding'],
  ['cache-control', 'no-cache'],
  ['server', 'nginx'],
];
const PAIR_INDEX = new Map(COMMON_PAIRS.map(([name, value], index) => [`${name}\n${value}`, index]));

type CompactEntry = number | { d: number } | { l: number } | { k: number } | [string, string];
/** Response headers as the column holds them: full (an object), compact (an array), or none. */
export type StoredResponseHeaders = Record<string, string> | CompactEntry[] | null;

/** A number as String(n) writes it back (no sign, no leading zero, a safe integer). */
const CANONICAL_NUMBER = /^(0|[1-9][0-9]{0,14})$/;

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

function entryOf(name: string, value: string, finishedAt: Date): CompactEntry {
  const common = PAIR_INDEX.get(`${name}\n${value}`);
  if (common !== undefined) return common;
  if (name === 'date') {
    const at = Date.parse(value);
    const d = seconds(new Date(at)) - seconds(finishedAt);
    // Only a date in the form it is rendered back in (IMF-fixdate, as HTTP servers send it).
    if (Number.isFinite(at) && new Date((seconds(finishedAt) + d) * 1000).toUTCString() === value)
      return { d };
  }
  if (name === 'content-length' && CANONICAL_NUMBER.test(value)) return { l: Number(value) };
  if (name === 'keep-alive' && value.startsWith('timeout=') && CANONICAL_NUMBER.test(value.slice(8))) {
    return { k: Number(value.slice(8)) };
  }
  return [name, value];
}

/** Headers of a compact form, as received; null when `stored` is not one. */
function expanded(stored: unknown, finishedAt: Date | null): Record<string, string> | null {
  if (!Array.isArray(stored)) return null;
  const headers: Record<string, string> = {};
  for (const entry of stored as CompactEntry[]) {
    if (typeof entry === 'number') {
      const pair = COMMON_PAIRS[entry];
      if (!pair) return null;
      headers[pair[0]] = pair[1];
    } else if (Array.isArray(entry)) {
      headers[entry[0]] = entry[1];
    } else if ('d' in entry) {
      if (finishedAt === null) return null;
      headers.date = new Date((seconds(finishedAt) + entry.d) * 1000).toUTCString();
    } else if ('l' in entry) {
      headers['content-length'] = String(entry.l);
    } else {
      headers['keep-alive'] = `timeout=${entry.k}`;
    }
  }
  return headers;
}

/**
 * The response headers of a call as the worker stores them: `headers` as storedHeaders kept them,
 * compact when that reads back exactly, full otherwise.
 */
export function storedResponseHeaders(
  headers: Record<string, string>,
  finishedAt: Date,
): StoredResponseHeaders {
  const compact = Object.entries(headers).map(([name, value]) => entryOf(name, value, finishedAt));
  const back = expanded(compact, finishedAt);
  const same =
    back !== null &&
    Object.keys(back).length === Object.keys(headers).length &&
    Object.entries(headers).every(([name, value], index) => {
      const other = Object.entries(back)[index];
      return other?.[0] === name && other[1] === value;
    });
  return same ? compact : headers;
}

/** A call's response headers as received, whichever form they are stored in. */
export function responseHeadersOf(stored: unknown, finishedAt: Date | null): Record<string, string> | null {
  if (stored === null || stored === undefined) return null;
  if (Array.isArray(stored)) return expanded(stored, finishedAt);
  return stored as Record<string, string>;
}
