import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';

/** `value` as a browser writes an Origin (scheme://host[:port], default port left out), or null. */
function normalizedOrigin(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * The origins whose pages may make changes with the session cookie, besides the origin the request
 * itself was sent to: the dashboard's public URL and the API's.
 */
export function configuredOrigins(config: Config): ReadonlySet<string> {
  return new Set(
    [config.RICOCHET_DASHBOARD_URL, config.RICOCHET_PUBLIC_URL]
      .flatMap((url) => (url === undefined ? [] : [normalizedOrigin(url)]))
      .filter((origin): origin is string => origin !== null),
  );
}

/**
 * Whether a browser sent this request from a page of another origin: the Origin header when there is
 * one, else Sec-Fetch-Site. Same origin means the origin the request was addressed to, which behind
 * the dashboard's proxy is the dashboard's (X-Forwarded-Host and -Proto, believed only from
 * TRUST_PROXY), or one of `allowed`. A request with neither header did not come from a browser of
 * this decade (they send Origin on every POST), so it is no cross-site request; the CSRF token
 * still applies to it. `Origin: null` (a sandboxed frame, a privacy-preserving redirect) is refused.
 */
export function isCrossOrigin(request: FastifyRequest, allowed: ReadonlySet<string>): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const claimed = normalizedOrigin(origin);
    if (claimed === null) return true;
    return !(allowed.has(claimed) || claimed === normalizedOrigin(`${request.protocol}://${request.host}`));
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  return false;
}
