import { type NextRequest, NextResponse } from 'next/server';

/**
 * Who may frame the dashboard, read per request (a runtime setting, not baked into the build):
 * RICOCHET_PORTAL_FRAME_ANCESTORS lists the origins of the apps that embed the customer portal,
 * separated by spaces or commas. Unset, nobody may (frame-ancestors 'none': no clickjacking).
 * Framing the whole dashboard is harmless: only a portal session (its token in a header) works in a
 * cross-site frame, since the dashboard's own cookie is SameSite=Lax and never sent there.
 */
export function frameAncestors(setting: string | undefined): string {
  const origins = (setting ?? '')
    .split(/[\s,]+/)
    .filter((origin) => origin !== '')
    .flatMap((origin) => {
      try {
        const url = new URL(origin);
        return url.protocol === 'https:' || url.protocol === 'http:' ? [url.origin] : [];
      } catch {
        return [];
      }
    });
  return origins.length === 0 ? "frame-ancestors 'none'" : `frame-ancestors 'self' ${origins.join(' ')}`;
}

/**
 * The page's Content-Security-Policy: scripts only with this response's nonce (Next puts it on its
 * own scripts, and 'strict-dynamic' lets those load the page's chunks), no plugins, no <base> that
 * could send relative URLs elsewhere, forms only to this origin, and framing only by the origins
 * RICOCHET_PORTAL_FRAME_ANCESTORS names. Styles and images are left open: the components set
 * inline styles, and a brand's logo may live on any https host.
 */
export function contentSecurityPolicy(
  nonce: string,
  frameAncestorsSetting: string | undefined,
  dev = false,
): string {
  return [
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    frameAncestors(frameAncestorsSetting),
  ].join('; ');
}

export function proxy(request: NextRequest) {
  // A fresh nonce per response: an injected script cannot know it.
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64');
  const policy = contentSecurityPolicy(
    nonce,
    process.env.RICOCHET_PORTAL_FRAME_ANCESTORS,
    process.env.NODE_ENV === 'development',
  );
  // Next reads the nonce from the request's policy and sets it on every script it renders; the
  // root layout reads x-nonce for the theme's inline script.
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('Content-Security-Policy', policy);
  return response;
}

export const config = {
  // Documents only: their scripts, the API proxy and static files need no policy of their own.
  matcher: [
    {
      source: '/((?!_next/static|_next/image|trpc/|favicon.ico|icon.svg).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
