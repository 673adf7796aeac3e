/** Where people go after signing in when `next` is missing or not allowed. */
export const AFTER_SIGN_IN = '/webhooks';

/**
 * Where to go after signing in: `next` when it is a path on this origin, else AFTER_SIGN_IN. It is
 * checked as the browser will read it, since browsers turn `/\evil.example`, `/<TAB>/evil.example`
 * and `/<LF>/evil.example` into `//evil.example`, another site: a backslash or a control character
 * anywhere refuses it outright, and so does anything whose URL, resolved against this origin, is
 * on another. What is followed is the resolved path, query and fragment, never the raw text.
 */
export function safeNext(next: string | null | undefined, origin: string): string {
  if (!next?.startsWith('/') || next.includes('\\') || hasControlCharacter(next)) return AFTER_SIGN_IN;
  try {
    const url = new URL(next, origin);
    if (url.origin !== origin) return AFTER_SIGN_IN;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return AFTER_SIGN_IN;
  }
}

/** C0 controls and DEL: tabs and line breaks among them, which URL parsers drop from a URL. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
