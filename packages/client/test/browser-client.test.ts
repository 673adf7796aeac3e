import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningRicochet, startServer } from '@ricochet/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forwardRequest, launchChromium } from './helpers.ts';

// The client's browser build in Chromium, against a real server. The page's own origin forwards
// /v2/* to Ricochet, as a team's app behind one reverse proxy would (Ricochet sends no CORS headers).
const PAGE = `<!doctype html><title>client</title>
<script type="module">
  import { createRicochetClient, isRicochetError } from '/index.js';
  window.runClient = async (token) => {
    const client = createRicochetClient({ baseUrl: location.origin, token });
    const me = await client.users.me();
    const webhook = await client.webhooks.create({ eventTypes: ['TEST'], requestUrl: 'https://example.com/from-browser' });
    const all = [];
    for await (const item of client.webhooks.list({ limit: 1 })) all.push(item.id);
    const missing = await client.webhooks.get('nope').catch((error) => error);
    return {
      username: me.username,
      listed: all.includes(webhook.id),
      notFound: isRicochetError(missing, 'record-not-found') && missing.status === 404,
    };
  };
</script>`;

let ricochet: RunningRicochet;
let page: ReturnType<typeof createServer>;
let pageUrl: string;

beforeAll(async () => {
  ricochet = await startServer();
  const bundle = readFileSync(new URL('../dist/browser/index.js', import.meta.url));
  page = createServer(async (request, response) => {
    if (request.url?.startsWith('/v2/')) {
      const upstream = await forwardRequest(ricochet.baseUrl, request);
      response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(upstream.body);
    } else if (request.url === '/index.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    }
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  page?.closeAllConnections();
  await new Promise<void>((resolve) => (page ? page.close(() => resolve()) : resolve()));
  await ricochet?.stop();
});

describe('@ricochet/client in Chromium (the browser build)', () => {
  test('calls the API, iterates pages and narrows errors', async () => {
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(pageUrl);
      await tab.waitForFunction('window.runClient !== undefined');
      const result = await tab.evaluate(
        (token) => (window as unknown as { runClient(token: string): Promise<unknown> }).runClient(token),
        ricochet.token,
      );
      expect(result).toEqual({ username: 'admin', listed: true, notFound: true });
    } finally {
      await browser.close();
    }
  });
});
