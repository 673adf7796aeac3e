import { defineConfig } from 'tsdown';

export default defineConfig([
  {
    // The package: ESM and CommonJS with declarations for each. Platform-neutral output (no Node
    // built-ins are imported), so the same files run in Node, Bun, Deno, edge runtimes and bundlers.
    entry: { index: 'src/index.ts', webhooks: 'src/webhooks.ts', embed: 'src/embed.ts' },
    format: ['esm', 'cjs'],
    platform: 'neutral',
    target: 'es2022',
    dts: true,
    sourcemap: true,
    clean: true,
    // Build-time notes (plugin timings) are not problems; keep the output to what is.
    checks: { pluginTimings: false },
  },
  {
    // Self-contained ESM for a <script type="module"> or a CDN, with @ricochet/schema's few delivery
    // constants inlined. The Chromium tests load these files.
    entry: { index: 'src/index.ts', webhooks: 'src/webhooks.ts', embed: 'src/embed.ts' },
    outDir: 'dist/browser',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    deps: { alwaysBundle: [/^@ricochet\//] },
    dts: false,
    clean: true,
  },
]);
