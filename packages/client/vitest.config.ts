import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once per run: the Chromium test loads the browser build, the pack test the tarballs.
    globalSetup: ['test/build-global-setup.ts'],
    // Each file starts its own Ricochet process(es); two at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
