import { defineConfig } from 'tsdown';

export default defineConfig({
  // `delivery` and `embed` are entries of their own so the SDK's verifyWebhook and portal embed script
  // can import them without zod.
  entry: { index: 'src/index.ts', delivery: 'src/delivery.ts', embed: 'src/embed.ts' },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
});
