import { defineConfig } from 'tsdown';

export default defineConfig({
  // `delivery` is its own entry so receivers (the SDK's verifyWebhook) can import it without zod.
  entry: { index: 'src/index.ts', delivery: 'src/delivery.ts' },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
});
