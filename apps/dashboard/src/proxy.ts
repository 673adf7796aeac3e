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

export function proxy(_request: NextRequest) {
  const response = NextResponse.next();
  response.headers.set(
    'Content-Security-Policy',
    frameAncestors(process.env.RICOCHET_PORTAL_FRAME_ANCESTORS),
  );
  return response;
}

export const config = {
  // Documents only: framing is decided on the page, not on its scripts or the API proxy.
  matcher: ['/((?!_next/static|_next/image|trpc/|favicon.ico).*)'],
};
