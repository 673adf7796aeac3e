#!/usr/bin/env node
// The operator CLI: runs the TypeScript source through tsx.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const result = spawnSync(
  process.execPath,
  ['--no-warnings', '--import', tsx, cli, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
