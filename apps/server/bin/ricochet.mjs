#!/usr/bin/env node
// The operator CLI: runs the TypeScript source through tsx. `pnpm ricochet …` at the repository
// root runs this bin directly (no package script, so pnpm prints no banner before the output).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
// In the server package's folder, as `pnpm start` runs: the same default RICOCHET_DATA_DIR
// (and relative paths) name the same embedded database.
const serverDir = fileURLToPath(new URL('..', import.meta.url));
const result = spawnSync(
  process.execPath,
  ['--no-warnings', '--import', tsx, cli, ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: serverDir },
);
process.exit(result.status ?? 1);
