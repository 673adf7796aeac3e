#!/usr/bin/env node
// Checks the package in the current directory the way it will be published: publint on its files
// and exports, then are-the-types-wrong on the tarball `pnpm pack` makes. `attw --pack` would pack
// with npm, which ignores publishConfig (our workspace exports point at src/, the published ones at
// dist/), so the tarball comes from pnpm and attw reads it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' });
const folder = mkdtempSync(join(tmpdir(), 'ricochet-check-package-'));
try {
  run('pnpm', ['exec', 'publint', '--strict']);
  const tarball = join(folder, 'package.tgz');
  run('pnpm', ['pack', '--out', tarball]);
  // node16 profile: resolution under Node 16+ (CJS and ESM) and bundlers. node10's resolver knows no
  // "exports" and so no subpaths; our engines field asks for Node 20.19+ anyway.
  run('pnpm', ['exec', 'attw', '--profile', 'node16', tarball]);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
