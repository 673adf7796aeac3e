import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningRicochet, startServer } from '@ricochet/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));
const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

// What a team gets from the registry: both packages packed as they would be published (pnpm pack
// applies publishConfig: dist, not src), installed with npm into an empty folder outside the
// workspace, and used from plain Node, ESM and CommonJS, and from TypeScript.
const consumerScript = (load: string) => `${load}
const [baseUrl, token] = process.argv.slice(2);
const client = createRicochetClient({ baseUrl, token });
const me = await client.users.me();
const webhook = await client.webhooks.create({ eventTypes: ['TEST'], requestUrl: 'https://example.com/hook' });
const page = await client.webhooks.list({ limit: 1, desc: true });
const missing = await client.webhooks.get('nope').catch((error) => error);
const secret = 'whsec_' + btoa('a secret for the pack test');
const body = JSON.stringify({ hello: 'world' });
const id = 'msg_1';
const timestamp = String(Math.floor(Date.now() / 1000));
const key = await crypto.subtle.importKey('raw', Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(id + '.' + timestamp + '.' + body)));
const signature = 'v1,' + btoa(String.fromCharCode(...mac));
const verified = await verifyWebhook({ secret, payload: body, headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } });
const parsed = CreateWebhookInputSchema.safeParse({ eventTypes: [] });
console.log(JSON.stringify({
  username: me.username,
  created: webhook.id === page.items[0]?.id,
  notFound: isRicochetError(missing, 'record-not-found') && missing.status === 404,
  verified,
  schemaRejects: !parsed.success,
}));
`;

let folder: string;
let server: RunningRicochet;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'ricochet-pack-'));
  const serverStarted = startServer();
  for (const name of ['schema', 'client']) {
    execFileSync('pnpm', ['pack', '--out', join(folder, `${name}.tgz`)], {
      cwd: join(PACKAGES, name),
      stdio: 'pipe',
    });
  }
  const app = join(folder, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '../schema.tgz', '../client.tgz'],
    {
      cwd: app,
      stdio: 'pipe',
    },
  );
  server = await serverStarted;
}, 360_000);

afterAll(async () => {
  await server?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const expected = {
  username: 'admin',
  created: true,
  notFound: true,
  verified: { hello: 'world' },
  schemaRejects: true,
};

describe('the packed packages, installed with npm outside the workspace', () => {
  test('ESM (import)', () => {
    const file = join(folder, 'app', 'esm.mjs');
    writeFileSync(
      file,
      consumerScript(`import { createRicochetClient, isRicochetError } from '@ricochet/client';
import { verifyWebhook } from '@ricochet/client/webhooks';
import { CreateWebhookInputSchema } from '@ricochet/schema';`),
    );
    const output = execFileSync(process.execPath, [file, server.baseUrl, server.token], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual(expected);
  });

  test('CommonJS (require)', () => {
    const file = join(folder, 'app', 'cjs.cjs');
    const script =
      consumerScript(`const { createRicochetClient, isRicochetError } = require('@ricochet/client');
const { verifyWebhook } = require('@ricochet/client/webhooks');
const { CreateWebhookInputSchema } = require('@ricochet/schema');`);
    // CommonJS has no top-level await: the same script, inside an async function.
    const [requires, body] = [
      script.split('\n').slice(0, 3).join('\n'),
      script.split('\n').slice(3).join('\n'),
    ];
    writeFileSync(
      file,
      `${requires}\n(async () => {\n${body}\n})().catch((error) => { console.error(error); process.exit(1); });\n`,
    );
    const output = execFileSync(process.execPath, [file, server.baseUrl, server.token], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual(expected);
  });

  test('TypeScript (nodenext) sees the types: a wrong field is an error', () => {
    const file = join(folder, 'app', 'check.mts');
    writeFileSync(
      file,
      `import { createRicochetClient, type Webhook } from '@ricochet/client';
import { verifyWebhook } from '@ricochet/client/webhooks';
const client = createRicochetClient({ baseUrl: 'http://127.0.0.1', token: 't' });
export const webhook: Promise<Webhook> = client.webhooks.get('id');
export const payload: Promise<{ a: number }> = verifyWebhook<{ a: number }>({ secret: 's', payload: '', headers: {} });
// @ts-expect-error requestUrl is required
client.webhooks.create({ eventTypes: ['TEST'] });
`,
    );
    const tscArgs = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      '--lib',
      'es2023,dom',
      file,
    ];
    // tsc prints its diagnostics on stdout; a failure shows them.
    const result = spawnSync(process.execPath, [TSC, ...tscArgs], {
      cwd: join(folder, 'app'),
      encoding: 'utf8',
    });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
