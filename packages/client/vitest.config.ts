import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import the package by its published name, as a reader's code would.
  resolve: {
    alias: {
      '@ricochet/client/webhooks': fileURLToPath(new URL('./src/webhooks.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once per run: the Chromium test loads the browser build, the pack test the tarballs.
    globalSetup: ['test/build-global-setup.ts'],
    // Each file starts its own Ricochet process(es), while `pnpm test` runs the server's suite beside
    // this one: one file at a time keeps a 2-core machine from starving the processes under test.
    maxWorkers: 1,
    // Generous: these tests start real processes, wait out real Retry-After windows and run npm and tsc,
    // on a 2-core machine that is often busy with other suites.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
