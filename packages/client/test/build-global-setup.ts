import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The tests that load dist/ (Chromium, pack) need this package and @ricochet/schema built. */
export default function setup(): void {
  for (const folder of ['../../schema', '..']) {
    execFileSync('pnpm', ['exec', 'tsdown', '--log-level', 'warn'], {
      cwd: fileURLToPath(new URL(folder, import.meta.url)),
      stdio: 'inherit',
    });
  }
}
