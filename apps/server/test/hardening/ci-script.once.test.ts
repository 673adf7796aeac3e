import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

/**
 * .ci/run with a stand-in `pnpm` on PATH whose tests fail: the real script, minus the real suite.
 * (PostgreSQL must be reachable, as everywhere these tests run: the script checks it first.)
 */
// Without a PostgreSQL server on 5432 the script would set one up (apt-get, initdb): not here.
const postgresUp = spawnSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432']).status === 0;

describe.runIf(postgresUp)('.ci/run', () => {
  test('prints its summary line when tests fail, then exits with the tests’ status', () => {
    const bin = mkdtempSync(join(tmpdir(), 'ricochet-ci-'));
    try {
      const fakePnpm = join(bin, 'pnpm');
      writeFileSync(
        fakePnpm,
        `#!/usr/bin/env bash
case "$1" in
  --version) echo 10.34.9 ;;
  test)
    printf '\\033[2m      Tests \\033[22m 3 passed | 1 failed | 2 skipped (6)\\n'
    printf '      Tests  5 passed (5)\\n'
    exit 3 ;;
  *) exit 0 ;;
esac
`,
      );
      chmodSync(fakePnpm, 0o755);
      const result = spawnSync('bash', ['.ci/run'], {
        cwd: ROOT,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(result.stdout.trim().split('\n').at(-1)).toBe('ci: 8 passed, 1 failed, 2 skipped');
      expect(result.status).toBe(3);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
