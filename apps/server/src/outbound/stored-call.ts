import { STORED_HEADER_VALUE_LIMIT, STORED_HEADERS_LIMIT, STORED_REQUEST_BODY_LIMIT } from '@ricochet/schema';

/**
 * `text` cut to at most `limitBytes` of UTF-8 (never inside a character), with the same marker a cut
 * response body gets; unchanged when it fits.
 */
export function cutUtf8(text: string, limitBytes: number): string {
  // A UTF-16 unit takes at most 3 bytes of UTF-8: most texts are decided without encoding them.
  if (text.length * 3 <= limitBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limitBytes) return text;
  // stream: true holds back a character cut at the limit instead of emitting U+FFFD.
  const kept = new TextDecoder('utf-8').decode(bytes.subarray(0, limitBytes), { stream: true });
  return `${kept}…[truncated, ${bytes.length} bytes in all]`;
}

/** A request body as stored on its call. */
export function storedRequestBody(body: string): string {
  return cutUtf8(body, STORED_REQUEST_BODY_LIMIT);
}

/**
 * Headers as stored on a call, in their order: each value cut at STORED_HEADER_VALUE_LIMIT bytes (so
 * one huge interpolated value cannot push out the signatures after it), and once names and values
 * reach STORED_HEADERS_LIMIT the rest are not kept; a last entry named `…` then says how many there
 * were, so a reader knows the list is incomplete.
 */
export function storedHeaders(headers: Record<string, string>): Record<string, string> {
  const stored: Record<string, string> = {};
  const entries = Object.entries(headers);
  let used = 0;
  for (const [index, [name, value]] of entries.entries()) {
    const kept = cutUtf8(value, STORED_HEADER_VALUE_LIMIT);
    used += Buffer.byteLength(name) + Buffer.byteLength(kept);
    if (used > STORED_HEADERS_LIMIT) {
      const left = entries.length - index;
      stored['…'] = `${left} more header${left === 1 ? '' : 's'} not stored`;
      break;
    }
    stored[name] = kept;
  }
  return stored;
}
