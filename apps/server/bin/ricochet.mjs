#!/usr/bin/env node
// The operator CLI. Runs the TypeScript source through tsx; Prisma's WebAssembly schema engine
// (used to apply migrations) needs --experimental-wasm-modules on Node 20.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const result = spawnSync(
  process.execPath,
  ['--experimental-wasm-modules', '--no-warnings', '--import', tsx, cli, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
