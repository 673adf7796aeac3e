import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStopped, startReceiver, startRicochet } from '@ricochet/testkit';
import { afterAll, describe, expect, test } from 'vitest';

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

  test(
    'every kind of token: setup and portal links, sessions, CSRF tokens, tokens made later, at trace level',
    async () => {
      const linksDir = mkdtempSync(join(tmpdir(), 'ricochet-redaction-links-'));
      const server = startRicochet([], {
        PORT: '0',
        DATABASE_URL: '',
        RICOCHET_DATA_DIR: linksDir,
        RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
        LOG_LEVEL: 'trace',
      });
      const tokens: string[] = [ADMIN_TOKEN];
      try {
        const line = await server.waitForLine(/Server listening at/, BUDGET_MS);
        const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
        const setupLine = await server.waitForLine(/\/setup#token=/, BUDGET_MS);
        const setupToken = /#token=(\S+)/.exec(setupLine)?.[1] as string;
        tokens.push(setupToken);
        const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
        const json = { 'content-type': 'application/json', 'x-csrf-token': 'sign-in' };
        const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

        // The setup link's token in a tRPC query's URL, alone and in a batch, then used for real.
        expect(
          (await fetch(`${base}/trpc/auth.setupLink?input=${input({ token: setupToken })}`)).status,
        ).toBe(200);
        expect(
          (
            await fetch(
              `${base}/trpc/auth.setupLink,auth.session?batch=1&input=${input({ 0: { token: setupToken } })}`,
            )
          ).status,
        ).toBe(200);
        const wrongLink = 'ricochet_link_notarealtokenatall0000000000000';
        tokens.push(wrongLink);
        expect((await fetch(`${base}/trpc/auth.setupLink?input=${input({ token: wrongLink })}`)).status).toBe(
          401,
        );
        const setup = await fetch(`${base}/trpc/auth.completeSetup`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ token: setupToken, password: 'a good password 1' }),
        });
        expect(setup.status).toBe(200);
        const sessionCookie = setup.headers.getSetCookie()[0]?.split(';')[0] as string;
        const session = ((await setup.json()) as { result: { data: { csrfToken: string } } }).result.data;
        tokens.push(sessionCookie.split('=')[1] as string, session.csrfToken);

        // The session cookie and its CSRF token on a query and a change.
        const withSession = { cookie: sessionCookie, 'x-csrf-token': session.csrfToken };
        expect((await fetch(`${base}/trpc/auth.session`, { headers: withSession })).status).toBe(200);
        const made = await fetch(`${base}/trpc/tokens.create`, {
          method: 'POST',
          headers: { ...withSession, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'made later' }),
        });
        expect(made.status).toBe(200);
        const madeToken = ((await made.json()) as { result: { data: { token: string } } }).result.data.token;
        tokens.push(madeToken);
        expect((await fetch(`${base}/v2/webhooks?token=${madeToken}`)).status).toBe(200);
        expect(
          (
            await fetch(`${base}/trpc/webhooks.list?input=${input({ token: madeToken })}`, {
              headers: bearer,
            })
          ).status,
        ).toBe(200);

        // A password sign-in, and an API token traded for a session.
        const signedIn = await fetch(`${base}/trpc/auth.signIn`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ username: 'admin', password: 'a good password 1' }),
        });
        expect(signedIn.status).toBe(200);
        tokens.push(signedIn.headers.getSetCookie()[0]?.split(';')[0]?.split('=')[1] as string);
        const traded = await fetch(`${base}/trpc/auth.signInWithToken`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ token: madeToken }),
        });
        expect(traded.status).toBe(200);

        // A portal link, opened, and its session sent in the header and (wrongly) in a URL.
        const me = (
          (await (await fetch(`${base}/v2/users/me`, { headers: bearer })).json()) as { data: { id: string } }
        ).data;
        const portal = await fetch(`${base}/v2/users/${me.id}/portal-sessions`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: '{}',
        });
        expect(portal.status).toBe(201);
        const portalUrl = ((await portal.json()) as { data: { url: string } }).data.url;
        const portalLink = new URLSearchParams(new URL(portalUrl).hash.slice(1)).get('token') as string;
        tokens.push(portalLink);
        const opened = await fetch(`${base}/trpc/auth.openPortal`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ token: portalLink }),
        });
        expect(opened.status).toBe(200);
        const portalSession = ((await opened.json()) as { result: { data: { sessionToken: string } } }).result
          .data.sessionToken;
        tokens.push(portalSession);
        expect(
          (await fetch(`${base}/trpc/webhooks.list`, { headers: { 'x-ricochet-session': portalSession } }))
            .status,
        ).toBe(200);
        expect((await fetch(`${base}/trpc/webhooks.list?session=${portalSession}`)).status).toBe(401);
        expect((await fetch(`${base}/v2/nope/${portalSession}?x=${madeToken}`)).status).toBe(404);
      } finally {
        await ensureStopped([server]);
        rmSync(linksDir, { recursive: true, force: true });
      }
      // The lines the logger wrote (JSON). The start-up banner, the one URL to open, is printed for
      // the operator on purpose and is not a log line.
      const logLines = server.lines.filter((line) => line.startsWith('{'));
      const log = logLines.join('\n');
      expect(log).toMatch(/"incoming request"/);
      expect(log).toMatch(/auth\.setupLink\?input=\[redacted\]/);
      for (const token of tokens) {
        expect(token.length).toBeGreaterThan(15);
        expect(log, token).not.toContain(token);
        expect(log, token).not.toContain(encodeURIComponent(token));
      }
    },
    BUDGET_MS * 2,
  );
});
