import type { NextConfig } from 'next';

const config: NextConfig = {
  // Workspace packages ship TypeScript source; Next compiles them (no build step to keep in sync).
  transpilePackages: ['@ricochet/schema'],
  reactStrictMode: true,
  poweredByHeader: false,
  // Type errors and lint are checked by `pnpm typecheck` / `pnpm lint`, not again in every build.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'no-referrer' },
          // Content-Security-Policy (frame-ancestors) is set per request by src/proxy.ts, from
          // RICOCHET_PORTAL_FRAME_ANCESTORS, a runtime setting.
        ],
      },
    ];
  },
};

export default config;
