import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isWebhookVerificationError, verifyWebhook } from '../src/webhooks.ts';
import { launchChromium } from './helpers.ts';
import { type VerifyCase, verifyCases } from './verify-cases.ts';

type Outcome = { payload: unknown } | { reason: string };

async function runCase(verify: typeof verifyWebhook, testCase: VerifyCase): Promise<Outcome> {
  try {
    return { payload: await verify(testCase.options as Parameters<typeof verifyWebhook>[0]) };
  } catch (error) {
    if (isWebhookVerificationError(error)) return { reason: error.reason };
    throw error;
  }
}

describe('verifyWebhook under Node', async () => {
  const cases = await verifyCases();
  test.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    expect(await runCase(verifyWebhook, testCase)).toEqual(testCase.expected);
  });

  test('takes the body as a string, bytes or an ArrayBuffer, and Headers or a plain object', async () => {
    const [good] = cases as [VerifyCase];
    const bytes = new TextEncoder().encode(good.options.payload);
    for (const payload of [good.options.payload, bytes, bytes.buffer, Buffer.from(bytes)]) {
      for (const headers of [good.options.headers, new Headers(good.options.headers)]) {
        expect(await verifyWebhook({ secret: good.options.secret as string, payload, headers })).toEqual(
          (good.expected as { payload: unknown }).payload,
        );
      }
    }
  });

  test('no secret is a typed error, not a pass', async () => {
    const [good] = cases as [VerifyCase];
    await expect(
      verifyWebhook({ secrets: [], payload: good.options.payload, headers: good.options.headers }),
    ).rejects.toMatchObject({ reason: 'no-secret' });
  });
});

// The page imports the browser build as a module and runs each case; 127.0.0.1 is a secure context,
// so crypto.subtle is there as on any HTTPS page.
const RUNNER_PAGE = `<!doctype html><title>verifyWebhook</title>
<script type="module">
  import { verifyWebhook } from '/webhooks.js';
  window.runCases = async (cases) => {
    const results = [];
    for (const testCase of cases) {
      try {
        results.push({ payload: await verifyWebhook(testCase.options) });
      } catch (error) {
        results.push(error.reason ? { reason: error.reason } : { thrown: String(error) });
      }
    }
    return results;
  };
</script>`;

describe('verifyWebhook in Chromium (the browser build)', () => {
  let server: ReturnType<typeof createServer>;
  let baseUrl: string;
  beforeAll(async () => {
    const bundle = readFileSync(new URL('../dist/browser/webhooks.js', import.meta.url));
    server = createServer((request, response) => {
      if (request.url === '/webhooks.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      } else {
        response.writeHead(200, { 'content-type': 'text/html' }).end(RUNNER_PAGE);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the same cases give the same outcomes', async () => {
    const cases = await verifyCases();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(baseUrl);
      await page.waitForFunction('window.runCases !== undefined');
      const outcomes = await page.evaluate((casesInPage) => {
        const { runCases } = window as unknown as { runCases(cases: unknown): Promise<unknown> };
        return runCases(casesInPage);
      }, cases);
      expect(outcomes).toEqual(cases.map((testCase) => testCase.expected));
    } finally {
      await browser.close();
    }
  });
});
