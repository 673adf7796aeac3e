import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'ricochet-server-install-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// Not about a database: it runs once, in the PGlite project (a second copy would race on dist/).
describe.runIf(process.env.RICOCHET_TEST_DB !== 'postgres')('the server as a package', () => {
  test('builds to dist, packs, installs with npm outside the workspace, and `ricochet start` serves', async () => {
    execFileSync('pnpm', ['run', 'build'], { cwd: SERVER_DIR, stdio: 'pipe' });
    execFileSync('pnpm', ['pack', '--out', join(folder, 'server.tgz')], { cwd: SERVER_DIR, stdio: 'pipe' });
    const app = join(folder, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'operator', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '../server.tgz'], {
      cwd: app,
      stdio: 'pipe',
    });
    // Production runs plain JavaScript: neither tsx nor the sources are installed.
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@ricochet', 'server', 'src'))).toBe(false);

    const token = 'ricochet_install_test_token_0123456789';
    const server = spawn(join(app, 'node_modules', '.bin', 'ricochet'), ['start'], {
      cwd: app,
      env: { ...process.env, PORT: '0', RICOCHET_DATA_DIR: join(app, 'data'), RICOCHET_ADMIN_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      let log = '';
      const baseUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not serving within 90 s:\n${log}`)), 90_000);
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1];
          // The admin may be created just after the port is bound: wait for both.
          if (url && log.includes('created the first admin user')) {
            clearTimeout(timer);
            resolve(url);
          }
        };
        server.stdout.on('data', onData);
        server.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`exited with ${code}:\n${log}`)));
      });
      const me = await fetch(`${baseUrl}/v2/users/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { data: { username: string } }).data.username).toBe('admin');
      // SIGTERM reaches the server itself (the bin runs it in-process) and it stops cleanly.
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      server.kill('SIGKILL');
    }
  }, 300_000);
});
