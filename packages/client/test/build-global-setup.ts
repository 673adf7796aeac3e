import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const build = (folder: string) =>
  execFileSync('pnpm', ['exec', 'tsdown', '--log-level', 'warn'], {
    cwd: fileURLToPath(new URL(folder, import.meta.url)),
    stdio: 'inherit',
  });

/**
 * The tests that load dist/ (Chromium, pack) need this package built, and @ricochet/schema too.
 * This package is rebuilt every run (about a second). @ricochet/schema is built only when it has no
 * dist/: `pnpm test` builds it first (turbo's ^build), and rebuilding it here would delete its dist/
 * under its own checks, which run at the same time.
 */
export default function setup(): void {
  if (!existsSync(fileURLToPath(new URL('../../schema/dist/index.js', import.meta.url))))
    build('../../schema');
  build('..');
}
