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
          // Until portal mode allows chosen parents (issue 11), the dashboard is never framed.
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
        ],
      },
    ];
  },
};

export default config;
