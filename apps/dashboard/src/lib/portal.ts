'use client';

// A portal session lives in this tab's sessionStorage, not in a cookie: inside a third-party iframe
// the dashboard's SameSite=Lax cookie is never sent, and a partitioned cookie needs HTTPS. The token
// goes to the API in the SESSION_HEADER; sessionStorage is per tab and, in an iframe, partitioned by
// the embedding site, so it survives reloads and page changes in the frame and nothing else sees it.
const TOKEN_KEY = 'ricochet.portal.session';
const PARENT_KEY = 'ricochet.portal.parentOrigin';

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    // A browser that blocks third-party cookies may deny a third-party frame any storage at all
    // (Chromium does): the session then lives in memory, through every page change made inside the
    // portal, until the frame is reloaded (then the team's app makes a new link).
    return null;
  }
}

let memoryToken: string | null = null;
let memoryParentOrigin: string | null = null;

export function portalSessionToken(): string | null {
  return storage()?.getItem(TOKEN_KEY) ?? memoryToken;
}

export function startPortalSession(token: string, parentOrigin: string | null) {
  memoryToken = token;
  memoryParentOrigin = parentOrigin;
  storage()?.setItem(TOKEN_KEY, token);
  if (parentOrigin) storage()?.setItem(PARENT_KEY, parentOrigin);
}

export function endPortalSession() {
  memoryToken = null;
  storage()?.removeItem(TOKEN_KEY);
}

/** The embedding page's origin, as the embed script told us; heights are posted to it alone. */
export function portalParentOrigin(): string | null {
  return storage()?.getItem(PARENT_KEY) ?? memoryParentOrigin;
}
