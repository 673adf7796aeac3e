import { request as httpRequest } from 'node:http';
import { ERROR_HTTP_STATUS, ERROR_TYPES } from '@ricochet/schema';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, test, webhookInput } from '../app-fixtures.ts';

/** Every error answer: the envelope, with a type from the schema's table and its status. */
function expectEnvelope(
  response: LightMyRequestResponse | { statusCode: number; body: string },
  type: string,
) {
  const body = JSON.parse(response.body);
  expect(body, response.body).toEqual({ error: { type, message: expect.any(String) } });
  expect(ERROR_TYPES).toContain(type);
  expect(response.statusCode).toBe(ERROR_HTTP_STATUS[type as keyof typeof ERROR_HTTP_STATUS]);
  return body.error.message as string;
}

describe('strings PostgreSQL cannot store are refused, naming the field', () => {
  test('NUL as a path id is an unknown record (404), on every id route', async ({ api }) => {
    const webhook = (await api.request('POST', '/v2/webhooks', { body: webhookInput() })).json().data;
    for (const path of [
      '/v2/webhooks/%00',
      '/v2/webhooks/ab%00cd/dispatches',
      '/v2/webhook-dispatches/%00',
      '/v2/events/%00',
      '/v2/event-types/%00',
      `/v2/webhooks/${webhook.id}%00`,
    ]) {
      expectEnvelope(
        await api.request(path.startsWith('/v2/event-types') ? 'DELETE' : 'GET', path),
        'record-not-found',
      );
    }
    expectEnvelope(await api.request('DELETE', '/v2/users/me/tokens/%00'), 'record-not-found');
  });

  test('NUL in a string field, and NUL or a lone surrogate in eventData, on REST', async ({ api }) => {
    const description = expectEnvelope(
      await api.request('POST', '/v2/webhooks', { body: webhookInput({ description: 'a\u0000b' }) }),
      'invalid-input',
    );
    expect(description).toMatch(/description: contains a NUL/);
    expect(
      expectEnvelope(
        await api.request('POST', '/v2/users/me/tokens', { body: { name: 'ci\u0000' } }),
        'invalid-input',
      ),
    ).toMatch(/name: contains a NUL/);
    for (const eventData of [
      { run: { id: 'x\u0000' } },
      { run: ['\ud800'] },
      { 'k\u0000': 1 },
      { x: '\udc00y' },
    ]) {
      const message = expectEnvelope(
        await api.request('POST', '/v2/events', { body: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData } }),
        'invalid-input',
      );
      expect(message).toMatch(/eventData/);
    }
    // A well-formed pair is fine, and nothing above was stored.
    const ok = await api.request('POST', '/v2/events', {
      body: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { emoji: '\ud83d\ude00' } },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await api.prisma.event.count()).toBe(1);
    expect(await api.prisma.webhook.count()).toBe(0);
    expect(await api.prisma.apiToken.count()).toBe(1);
  });

  test('the same on tRPC, with the field named', async ({ api }) => {
    const publish = await api.request('POST', '/trpc/events.publish', {
      body: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { x: '\ud800' } },
    });
    expect(publish.statusCode).toBe(400);
    expect(publish.json().error).toMatchObject({
      type: 'invalid-input',
      message: expect.stringMatching(/eventData\.x: contains a lone UTF-16 surrogate/),
      data: { type: 'invalid-input' },
    });
    const create = await api.request('POST', '/trpc/webhooks.create', {
      body: webhookInput({ description: '\u0000' }),
    });
    expect(create.statusCode).toBe(400);
    expect(create.json().error.message).toMatch(/description: contains a NUL/);
    const get = await api.request(
      'GET',
      `/trpc/webhooks.get?input=${encodeURIComponent('{"webhookId":"\\u0000"}')}`,
    );
    expect(get.statusCode).toBe(400);
    expect(get.json().error.message).toMatch(/webhookId: contains a NUL/);
    expect(await api.prisma.event.count()).toBe(0);
    expect(await api.prisma.webhook.count()).toBe(0);
  });

  test('nesting deeper than any real payload, and __proto__ keys, are refused with 400', async ({ api }) => {
    for (const depth of [100, 100_000]) {
      const deep = `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;
      expectEnvelope(
        await api.request('POST', '/v2/events', {
          body: `{"eventType":"ACTOR.RUN.SUCCEEDED","eventData":${deep}}`,
        }),
        'invalid-input',
      );
    }
    expectEnvelope(
      await api.request('POST', '/v2/webhooks', {
        body: '{"eventTypes":["ACTOR.RUN.SUCCEEDED"],"requestUrl":"https://example.com/h","__proto__":{"isAdmin":true}}',
      }),
      'invalid-input',
    );
    // tRPC, with and without a token (found by the fuzz test: a 500 once).
    for (const token of [undefined, null, "BR',|\\bj+"]) {
      const deep = `${'['.repeat(11_723)}${']'.repeat(11_723)}`;
      const response = await api.request('POST', '/trpc/webhooks.test', {
        token,
        // No Content-Type: tRPC's adapter then serialises the parsed body again.
        headers: { 'content-type': '' },
        body: `{"eventType":"ACTOR.RUN.SUCCEEDED","eventData":${deep}}`,
      });
      expect(response.statusCode, response.body).toBeLessThan(500);
      // The body is refused as it is read, before the token is looked at.
      expect(response.json().error.type).toBe('invalid-input');
    }
    expect(await api.prisma.event.count()).toBe(0);
  });
});

describe('request framing', () => {
  test('a malformed Content-Type is a 400 envelope, with or without a token', async ({ api }) => {
    for (const token of [undefined, null]) {
      const response = await api.request('POST', '/v2/webhooks', {
        token,
        body: JSON.stringify(webhookInput()),
        headers: { 'content-type': ';;;===' },
      });
      expectEnvelope(response, 'invalid-input');
    }
  });

  test('an empty body labelled application/json is no body: the action runs', async ({ api }) => {
    const json = { 'content-type': 'application/json' };
    const webhook = (await api.request('POST', '/v2/webhooks', { body: webhookInput() })).json().data;
    const tested = await api.request('POST', `/v2/webhooks/${webhook.id}/test`, { headers: json });
    expect(tested.statusCode, tested.body).toBe(201);
    const deleted = await api.request('DELETE', `/v2/webhooks/${webhook.id}`, { headers: json });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(await api.prisma.webhook.count()).toBe(0);
    expectEnvelope(await api.request('POST', '/nope', { token: null, headers: json }), 'record-not-found');
    expectEnvelope(await api.request('GET', '/v2/nope', { headers: json }), 'record-not-found');
  });

  test("a Host (or a trusted proxy's X-Forwarded-Host) that makes no URL gets a relative Location", async ({
    api,
  }) => {
    const hostile: Array<Record<string, string>> = [
      { host: 'a b' },
      { 'x-forwarded-host': 'a b', 'x-forwarded-proto': 'https' },
    ];
    for (const headers of hostile) {
      const created = await api.request('POST', '/v2/webhooks', { body: webhookInput(), headers });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.headers.location).toBe(`/v2/webhooks/${created.json().data.id}`);
    }
    // A forwarded host that does make a URL is the one a client behind the proxy addressed.
    const proxied = await api.request('POST', '/v2/webhooks', {
      body: webhookInput(),
      headers: { 'x-forwarded-host': 'hooks.example.com', 'x-forwarded-proto': 'https' },
    });
    expect(proxied.headers.location).toBe(`https://hooks.example.com/v2/webhooks/${proxied.json().data.id}`);
  });

  test('bad percent-encoding and over-long ids are answered in the envelope', async ({ api }) => {
    expectEnvelope(await api.request('GET', '/v2/webhooks/%ff'), 'invalid-input');
    expectEnvelope(await api.request('GET', '/v2/webhooks/%C0%AE'), 'invalid-input');
    expectEnvelope(await api.request('GET', '/v2/webhooks/%ff', { token: null }), 'invalid-input');
    expectEnvelope(await api.request('GET', `/v2/webhooks/${'a'.repeat(501)}`), 'request-uri-too-long');
  });

  test('headers too large are a 431 envelope, from a real socket', async ({ api }) => {
    const base = await api.listen();
    const answer = await new Promise<{ statusCode: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${base}/healthz`,
        { headers: { 'x-big': 'a'.repeat(40_000) } },
        (response) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      request.end();
    });
    expectEnvelope(answer, 'request-header-fields-too-large');
  });

  test('/readyz without its database is a 503 envelope', async ({ api, db }) => {
    await db.close();
    expectEnvelope(await api.request('GET', '/readyz', { token: null }), 'service-unavailable');
  });
});

describe('validation messages are written for people', () => {
  test("zod's built-in messages are replaced by readable ones, on REST and tRPC", async ({ api }) => {
    const rest = await api.request('POST', '/v2/users/me/tokens', { body: { name: '' } });
    expect(rest.json().error.message).toBe('Invalid input: name: must not be empty');
    const tooLong = await api.request('POST', '/v2/webhooks', {
      body: webhookInput({ description: 'd'.repeat(2001), eventTypes: 'ACTOR.RUN.SUCCEEDED' }),
    });
    expect(tooLong.json().error.message).toBe(
      'Invalid input: eventTypes: must be a list; description: must be at most 2000 characters',
    );
    const query = await api.request('GET', '/v2/webhooks?limit=0&desc=maybe');
    expect(query.json().error.message).toBe(
      'Invalid input: limit: must be at least 1; desc: is none of the forms accepted here',
    );
    const trpc = await api.request('POST', '/trpc/auth.signIn', {
      token: null,
      body: { username: 'ab', password: 1 },
      headers: { 'x-csrf-token': 'sign-in' },
    });
    expect(trpc.json().error.message).toBe(
      'Invalid input: username: must be at least 3 characters; password: must be text',
    );
    for (const message of [rest, tooLong, query, trpc].map((answer) => answer.json().error.message)) {
      expect(message).not.toMatch(/Too (small|big)|expected [a-z]+ to|received/);
    }
  });
});
