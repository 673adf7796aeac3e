import { defineConfig } from 'tsdown';

export default defineConfig({
  // `node dist/main.js` (the server) and `node dist/cli.js` (operator commands): plain JavaScript, no
  // tsx at run time. @ricochet/schema (a dev dependency) is bundled in, so an install of the server
  // needs nothing from the workspace; the npm dependencies stay external.
  entry: { main: 'src/main.ts', cli: 'src/cli.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: false,
  sourcemap: true,
  clean: true,
  fixedExtension: false,
  deps: { alwaysBundle: [/^@ricochet\//] },
  checks: { pluginTimings: false },
});
