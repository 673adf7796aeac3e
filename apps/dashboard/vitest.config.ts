import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The end-to-end tests drive Chromium against the built dashboard (server.mjs), a real API server
// and a real receiver; one file at a time, with budgets for a busy 2-core machine. Beside them, the
// unit tests of what needs no browser (src/**/*.test.ts).
export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  test: {
    include: ['e2e/**/*.e2e.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
