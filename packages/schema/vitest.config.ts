import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A budget, not a speed check: the differential test renders thousands of templates through two
    // engines and takes ~20 s when both cores are busy with the server's suite.
    testTimeout: 300_000,
  },
});
