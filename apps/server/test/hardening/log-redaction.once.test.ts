import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ensureStopped, startRicochet } from '../processes.ts';
import { startReceiver } from '../receiver.ts';

const BUDGET_MS = 180_000;
const ADMIN_TOKEN = 'redaction-admin-token-Qx7pLm2';
const WEBHOOK_SECRET = 'webhook-secret-Vb93kTz1';
const SUPEROFFICE_SECRET = 'superoffice-secret-Hn42wQe8';
const WRONG_TOKEN = 'guessed-token-Zr81nYc5';

describe('secrets never reach the log', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-redaction-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test(
    'tokens in the query and the header, webhook and SuperOffice secrets, at every level',
    async () => {
      const receiver = await startReceiver();
      const server = startRicochet([], {
        PORT: '0',
        DATABASE_URL: '',
        RICOCHET_DATA_DIR: dataDir,
        RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        DELIVERY_POLL_INTERVAL_MS: '200',
        LOG_LEVEL: 'trace',
      });
      const secrets = [ADMIN_TOKEN, WEBHOOK_SECRET, SUPEROFFICE_SECRET, WRONG_TOKEN];
      try {
        const line = await server.waitForLine(/Server listening at/, BUDGET_MS);
        const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
        await server.waitForLine(/created the first admin user/, BUDGET_MS);
        const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
        const json = { ...bearer, 'content-type': 'application/json' };

        expect((await fetch(`${base}/v2/webhooks?token=${ADMIN_TOKEN}`)).status).toBe(200);
        expect((await fetch(`${base}/v2/webhooks?limit=5&token=${ADMIN_TOKEN}&desc=1`)).status).toBe(200);
        expect((await fetch(`${base}/trpc/webhooks.list?token=${ADMIN_TOKEN}`)).status).toBe(200);
        expect((await fetch(`${base}/v2/webhooks`, { headers: bearer })).status).toBe(200);
        expect((await fetch(`${base}/v2/webhooks?token=${WRONG_TOKEN}`)).status).toBe(401);
        expect(
          (await fetch(`${base}/v2/webhooks`, { headers: { authorization: `Bearer ${WRONG_TOKEN}` } }))
            .status,
        ).toBe(401);
        expect((await fetch(`${base}/v2/webhooks`, { headers: { authorization: WRONG_TOKEN } })).status).toBe(
          401,
        );

        const created = await fetch(`${base}/v2/webhooks`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({
            eventTypes: ['ACTOR.RUN.SUCCEEDED'],
            requestUrl: receiver.url,
            secret: WEBHOOK_SECRET,
          }),
        });
        expect(created.status).toBe(201);
        const webhookId = ((await created.json()) as { data: { id: string } }).data.id;
        // A refused body that carries the secret.
        const refused = await fetch(`${base}/v2/webhooks`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ eventTypes: [], requestUrl: 'not a url', secret: WEBHOOK_SECRET }),
        });
        expect(refused.status).toBe(400);
        expect((await fetch(`${base}/v2/webhooks/${webhookId}/secret`, { headers: bearer })).status).toBe(
          200,
        );
        expect(
          (await fetch(`${base}/v2/webhooks/${webhookId}/test`, { method: 'POST', headers: bearer })).status,
        ).toBe(201);
        const rotated = await fetch(`${base}/v2/webhooks/${webhookId}/secret/rotate`, {
          method: 'POST',
          headers: json,
          body: '{}',
        });
        expect(rotated.status).toBe(200);
        const { data } = (await rotated.json()) as { data: { secrets: Array<{ secret: string }> } };
        secrets.push(...data.secrets.map((secret) => secret.secret));

        const superOffice = await fetch(`${base}/api/v1/Webhook/Test`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({
            Name: 'so',
            TargetUrl: receiver.url,
            Secret: SUPEROFFICE_SECRET,
            Events: ['contact.created'],
          }),
        });
        expect(superOffice.status).toBe(200);
        // The test dispatch was delivered (and its delivery logged), signed with the secret.
        await receiver.waitFor(2);
        await server.waitForLine(/"delivery attempt"/, BUDGET_MS);
      } finally {
        await ensureStopped([server]);
        await receiver.close();
      }
      const log = server.lines.join('\n');
      // The log is there and detailed (trace), so finding nothing in it means something.
      expect(log).toMatch(/"incoming request"/);
      expect(log).toMatch(/token=\[redacted\]/);
      for (const secret of secrets) expect(log).not.toContain(secret);
    },
    BUDGET_MS * 2,
  );
});
