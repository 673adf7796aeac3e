import { apiUrl } from '@/lib/api-url';

// The browser talks to the dashboard's own origin only; this forwards /trpc/* to the API. The
// session cookie is therefore first-party (SameSite=Lax works, no CORS), and the API's address is a
// runtime setting (RICOCHET_API_URL) rather than something baked into the build.
export const dynamic = 'force-dynamic';

const FORWARDED_REQUEST_HEADERS = [
  'content-type',
  'cookie',
  'x-csrf-token',
  // A portal session's token (see lib/portal.ts).
  'x-ricochet-session',
  'accept',
  'trpc-accept',
  'user-agent',
  // What the API's cross-origin check of changes made with the cookie reads: the browser's claim,
  // and the host it addressed (Next sets X-Forwarded-Host to the Host it got, unless a proxy in
  // front already did), so the API compares the two as if it had been reached directly.
  'origin',
  'sec-fetch-site',
  'x-forwarded-host',
  // The client's address, appended by server.mjs, for the API's per-address limits (sign-in
  // attempts). The API believes it only because this process is one of its TRUST_PROXY.
  'x-forwarded-for',
];
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'retry-after', 'vary'];
// Whatever the API says: tRPC answers belong to one session (auth.session carries its CSRF token),
// so no browser cache or proxy may keep one.
const NO_STORE = 'no-store';

async function proxy(request: Request): Promise<Response> {
  const incoming = new URL(request.url);
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // So the API marks the cookie Secure when people reach the dashboard over HTTPS.
  headers.set(
    'x-forwarded-proto',
    request.headers.get('x-forwarded-proto') ?? incoming.protocol.replace(/:$/, ''),
  );
  let upstream: Response;
  try {
    upstream = await fetch(`${apiUrl()}${incoming.pathname}${incoming.search}`, {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer(),
      redirect: 'manual',
      cache: 'no-store',
    });
  } catch {
    return Response.json(
      {
        error: {
          message: 'The Ricochet API is not reachable.',
          code: -32603,
          data: { type: 'service-unavailable' },
        },
      },
      { status: 503, headers: { 'retry-after': '5', 'cache-control': NO_STORE } },
    );
  }
  const responseHeaders = new Headers({ 'cache-control': NO_STORE });
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) responseHeaders.set(name, value);
  }
  for (const cookie of upstream.headers.getSetCookie()) responseHeaders.append('set-cookie', cookie);
  return new Response(upstream.body, { status: upstream.status, headers: responseHeaders });
}

export { proxy as GET, proxy as POST };
