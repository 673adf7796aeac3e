import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { WebhookSchema } from '@ricochet/schema';
import { describe, expect, test, webhookInput } from '../app-fixtures.ts';

describe('POST /v2/webhooks', () => {
  test('creates a webhook: 201, Location, every Apify field, an Apify-style id', async ({ api }) => {
    const input = webhookInput({
      isAdHoc: false,
      eventTypes: ['ACTOR.RUN.SUCCEEDED', 'ACTOR.RUN.ABORTED'],
      condition: { actorId: '5sTMwDQywwsLzKRRh', actorTaskId: 'W9bs9JE9v7wprjAnJ' },
      ignoreSslErrors: true,
      doNotRetry: true,
      payloadTemplate: '{"run": {{resource}}}',
      headersTemplate: '{"X-Run": {{resource.id}}}',
      description: 'my awesome webhook',
      shouldInterpolateStrings: true,
    });
    const response = await api.request('POST', '/v2/webhooks', { body: input });
    expect(response.statusCode).toBe(201);
    const { data } = response.json();
    expect(WebhookSchema.parse(data)).toEqual(data);
    expect(data.id).toMatch(/^[A-Za-z0-9]{17}$/);
    expect(response.headers.location).toBe(`http://localhost/v2/webhooks/${data.id}`);
    expect(data).toMatchObject({
      userId: api.admin.id,
      isAdHoc: false,
      eventTypes: ['ACTOR.RUN.SUCCEEDED', 'ACTOR.RUN.ABORTED'],
      condition: { actorId: '5sTMwDQywwsLzKRRh', actorTaskId: 'W9bs9JE9v7wprjAnJ' },
      ignoreSslErrors: true,
      doNotRetry: true,
      requestUrl: 'https://example.com/hook',
      payloadTemplate: '{"run": {{resource}}}',
      headersTemplate: '{"X-Run": {{resource.id}}}',
      description: 'my awesome webhook',
      shouldInterpolateStrings: true,
      lastDispatch: null,
      stats: { totalDispatches: 0 },
      state: 'ACTIVE',
    });
    expect(data.createdAt).toBe(data.modifiedAt);
    expect(data).not.toHaveProperty('secret');
  });

  test('the same idempotencyKey returns the first webhook and creates nothing', async ({ api }) => {
    const input = webhookInput({ idempotencyKey: 'fdSJmdP3nfs7sfk3y' });
    const first = await api.request('POST', '/v2/webhooks', { body: input });
    const second = await api.request('POST', '/v2/webhooks', {
      body: { ...input, requestUrl: 'https://example.com/other' },
    });
    expect(second.json().data).toEqual(first.json().data);
    expect(await api.prisma.webhook.count()).toBe(1);
    // Keys are per user: another user's identical key is a different webhook.
    const bob = await api.createUser('bob');
    const bobs = await api.request('POST', '/v2/webhooks', { token: bob.token, body: input });
    expect(bobs.json().data.id).not.toBe(first.json().data.id);
  });

  test('concurrent creates with one idempotencyKey create exactly one webhook', async ({ api }) => {
    const input = webhookInput({ idempotencyKey: 'race' });
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api.request('POST', '/v2/webhooks', { body: input })),
    );
    const ids = new Set(responses.map((response) => response.json().data.id));
    expect(ids.size).toBe(1);
    expect(await api.prisma.webhook.count()).toBe(1);
  });

  test.for([
    ['requestUrl', { requestUrl: 'not a url' }, /requestUrl: must be an absolute http/],
    ['requestUrl scheme', { requestUrl: 'ftp://example.com/x' }, /requestUrl/],
    ['missing requestUrl', { requestUrl: undefined }, /requestUrl/],
    ['eventTypes not a list', { eventTypes: 'ACTOR.RUN.SUCCEEDED' }, /eventTypes/],
    [
      'eventTypes unknown',
      { eventTypes: ['ACTOR.RUN.EXPLODED'] },
      /eventTypes: unknown event type "ACTOR.RUN.EXPLODED"/,
    ],
    [
      'payloadTemplate broken',
      { payloadTemplate: '{\n  "a": {{resource}},\n  "b": \n}' },
      /payloadTemplate: Unexpected character "}", expected a value at line 4, column 1/,
    ],
    [
      'payloadTemplate unknown variable',
      { payloadTemplate: '{"a": {{secretStuff}}}' },
      /payloadTemplate: Unknown variable "\{\{secretStuff\}\}"/,
    ],
    [
      'headersTemplate not an object',
      { headersTemplate: '[]' },
      /headersTemplate: Headers template must be a JSON object/,
    ],
    ['description too long', { description: 'x'.repeat(2001) }, /description/],
    ['condition not an object', { condition: 'abc' }, /condition/],
  ])('400 invalid-input naming the field: %s', async ([, overrides, message], { api }) => {
    const response = await api.request('POST', '/v2/webhooks', {
      body: webhookInput(overrides as Record<string, unknown>),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { type: 'invalid-input', message: expect.stringMatching(message as RegExp) },
    });
    expect(await api.prisma.webhook.count()).toBe(0);
  });

  test('400 for a body that is not JSON, or not an object', async ({ api }) => {
    const broken = await api.request('POST', '/v2/webhooks', { body: '{"eventTypes": [' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toEqual({
      type: 'invalid-input',
      message: expect.stringContaining('not valid JSON'),
    });
    const array = await api.request('POST', '/v2/webhooks', { body: [1, 2] });
    expect(array.statusCode).toBe(400);
    expect(array.json().error.type).toBe('invalid-input');
  });

  test('unknown fields are ignored', async ({ api }) => {
    const response = await api.request('POST', '/v2/webhooks', {
      body: webhookInput({ isEnabled: true, foo: 'bar' }),
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().data).not.toHaveProperty('foo');
  });

  test('accepts br, gzip and deflate bodies; 415 for other encodings; nothing is lost on refusal', async ({
    api,
  }) => {
    const body = Buffer.from(JSON.stringify(webhookInput({ description: 'x'.repeat(2000) })));
    for (const [encoding, encoded] of [
      ['br', brotliCompressSync(body)],
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
    ] as const) {
      const response = await api.request('POST', '/v2/webhooks', {
        body: encoded,
        headers: { 'content-encoding': encoding },
      });
      expect(response.statusCode, encoding).toBe(201);
      expect(response.json().data.description).toHaveLength(2000);
    }
    const refused = await api.request('POST', '/v2/webhooks', {
      body: gzipSync(body),
      headers: { 'content-encoding': 'zstd' },
    });
    expect(refused.statusCode).toBe(415);
    expect(refused.json().error.type).toBe('unsupported-content-encoding');
    const corrupt = await api.request('POST', '/v2/webhooks', {
      body: Buffer.from('not gzip at all'),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json().error.type).toBe('invalid-input');
    expect(await api.prisma.webhook.count()).toBe(3);
  });

  test('413 request-too-large, also when a small compressed body expands past the limit', async ({ api }) => {
    const huge = JSON.stringify(webhookInput({ description: 'x'.repeat(2_000_000) }));
    const plain = await api.request('POST', '/v2/webhooks', { body: huge });
    expect(plain.statusCode).toBe(413);
    expect(plain.json().error.type).toBe('request-too-large');
    const bomb = brotliCompressSync(Buffer.from(huge));
    expect(bomb.length).toBeLessThan(10_000);
    const compressed = await api.request('POST', '/v2/webhooks', {
      body: bomb,
      headers: { 'content-encoding': 'br' },
    });
    expect(compressed.statusCode).toBe(413);
    expect(compressed.json().error.type).toBe('request-too-large');
  });
});

describe('GET /v2/webhooks', () => {
  test('lists by createdAt with offset, limit and desc in every spelling', async ({ api }) => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const response = await api.request('POST', '/v2/webhooks', {
        body: webhookInput({ description: `#${index}` }),
      });
      ids.push(response.json().data.id);
    }
    const all = (await api.request('GET', '/v2/webhooks')).json().data;
    expect(all).toMatchObject({ total: 5, offset: 0, limit: 1000, count: 5, desc: false });
    expect(all.items.map((item: { id: string }) => item.id)).toEqual(ids);
    expect(all.items[0]).not.toHaveProperty('payloadTemplate');

    const page = (await api.request('GET', '/v2/webhooks?offset=1&limit=2')).json().data;
    expect(page).toMatchObject({ total: 5, offset: 1, limit: 2, count: 2, desc: false });
    expect(page.items.map((item: { id: string }) => item.id)).toEqual(ids.slice(1, 3));

    for (const desc of ['1', 'true']) {
      const reversed = (await api.request('GET', `/v2/webhooks?desc=${desc}`)).json().data;
      expect(reversed.desc).toBe(true);
      expect(reversed.items.map((item: { id: string }) => item.id)).toEqual([...ids].reverse());
    }
    for (const desc of ['0', 'false']) {
      expect((await api.request('GET', `/v2/webhooks?desc=${desc}`)).json().data.items[0].id).toBe(ids[0]);
    }
  });

  test.for([['limit=1001'], ['limit=0'], ['offset=-1'], ['desc=maybe'], ['limit=abc']])(
    '400 invalid-input for %s',
    async ([query], { api }) => {
      const response = await api.request('GET', `/v2/webhooks?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toEqual({
        type: 'invalid-input',
        message: expect.stringContaining(`${query?.split('=')[0]}:`),
      });
    },
  );

  test("lists a condition's webhooks under /v2/actors/:actorId and /v2/actor-tasks/:actorTaskId", async ({
    api,
  }) => {
    await api.request('POST', '/v2/webhooks', { body: webhookInput({ condition: { actorId: 'A1' } }) });
    await api.request('POST', '/v2/webhooks', {
      body: webhookInput({ condition: { actorId: 'A2', actorTaskId: 'T1' } }),
    });
    await api.request('POST', '/v2/webhooks', { body: webhookInput({ condition: { actorTaskId: 'T1' } }) });
    const ofActor = (await api.request('GET', '/v2/actors/A2/webhooks')).json().data;
    expect(ofActor.total).toBe(1);
    expect(ofActor.items[0].condition).toEqual({ actorId: 'A2', actorTaskId: 'T1', actorRunId: null });
    // Apify's documented path (the one its Python client calls) answers the same.
    expect((await api.request('GET', '/v2/acts/A2/webhooks')).json().data).toEqual(ofActor);
    const ofTask = (await api.request('GET', '/v2/actor-tasks/T1/webhooks?desc=1')).json().data;
    expect(ofTask.total).toBe(2);
    expect(ofTask.items[0].condition).toEqual({ actorId: null, actorTaskId: 'T1', actorRunId: null });
  });

  test("a task's webhooks are whole webhooks, templates included, as Apify documents", async ({ api }) => {
    const created = (
      await api.request('POST', '/v2/webhooks', {
        body: webhookInput({
          condition: { actorTaskId: 'T9' },
          payloadTemplate: '{"run": {{resource.id}}}',
          headersTemplate: '{"X-Run": {{resource.id}}}',
        }),
      })
    ).json().data;
    const items = (await api.request('GET', '/v2/actor-tasks/T9/webhooks')).json().data.items;
    expect(items).toEqual([created]);
    expect(items[0].payloadTemplate).toBe('{"run": {{resource.id}}}');
  });

  test("list items carry WebhookShort's isApifyIntegration, isEnabled and actionType", async ({ api }) => {
    const created = (await api.request('POST', '/v2/webhooks', { body: webhookInput() })).json().data;
    await api.request('POST', '/v2/webhooks', { body: webhookInput({ state: 'STOPPED' }) });
    const items = (await api.request('GET', '/v2/webhooks')).json().data.items;
    expect(
      items.map((item: Record<string, unknown>) => [
        item.isApifyIntegration,
        item.isEnabled,
        item.actionType,
      ]),
    ).toEqual([
      [false, true, 'HTTP_REQUEST'],
      [false, false, 'HTTP_REQUEST'],
    ]);
    expect(created.condition).toEqual({ actorId: 'hksJZtadYvn4mBuin', actorTaskId: null, actorRunId: null });
  });
});

describe('GET, PUT, DELETE /v2/webhooks/:webhookId', () => {
  test("PUT takes null for every field of Apify's WebhookUpdate: required ones stay, the rest reset", async ({
    api,
  }) => {
    const created = (
      await api.request('POST', '/v2/webhooks', {
        body: webhookInput({
          isAdHoc: true,
          condition: { actorId: 'A1' },
          ignoreSslErrors: true,
          doNotRetry: true,
          payloadTemplate: '{"a": {{resource}}}',
          headersTemplate: '{"X-A": "b"}',
          description: 'before',
          shouldInterpolateStrings: true,
        }),
      })
    ).json().data;
    const everyFieldNull = {
      isAdHoc: null,
      eventTypes: null,
      condition: null,
      ignoreSslErrors: null,
      doNotRetry: null,
      requestUrl: null,
      payloadTemplate: null,
      headersTemplate: null,
      description: null,
      shouldInterpolateStrings: null,
    };
    const response = await api.request('PUT', `/v2/webhooks/${created.id}`, { body: everyFieldNull });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({
      eventTypes: created.eventTypes,
      requestUrl: created.requestUrl,
      isAdHoc: false,
      condition: { actorId: null, actorTaskId: null, actorRunId: null },
      ignoreSslErrors: false,
      doNotRetry: false,
      payloadTemplate: null,
      headersTemplate: null,
      description: null,
      shouldInterpolateStrings: false,
    });
    // "" in a condition field or as idempotencyKey is accepted as Apify's schema allows, meaning unset.
    const blanks = await api.request('POST', '/v2/webhooks', {
      body: webhookInput({ condition: { actorId: '', actorTaskId: 'T1' }, idempotencyKey: '' }),
    });
    expect(blanks.statusCode).toBe(201);
    expect(blanks.json().data.condition).toEqual({ actorId: null, actorTaskId: 'T1', actorRunId: null });
  });

  test('get returns the whole webhook; put changes only the given fields; delete answers 204', async ({
    api,
  }) => {
    const created = (
      await api.request('POST', '/v2/webhooks', { body: webhookInput({ description: 'before' }) })
    ).json().data;
    const got = await api.request('GET', `/v2/webhooks/${created.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json().data).toEqual(created);

    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await api.request('PUT', `/v2/webhooks/${created.id}`, {
      body: {
        description: 'after',
        eventTypes: ['ACTOR.BUILD.FAILED'],
        payloadTemplate: '{"x": {{eventType}}}',
      },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().data).toEqual({
      ...created,
      description: 'after',
      eventTypes: ['ACTOR.BUILD.FAILED'],
      payloadTemplate: '{"x": {{eventType}}}',
      modifiedAt: expect.any(String),
    });
    expect(updated.json().data.modifiedAt > created.modifiedAt).toBe(true);

    const cleared = await api.request('PUT', `/v2/webhooks/${created.id}`, {
      body: { payloadTemplate: null, condition: null },
    });
    expect(cleared.json().data).toMatchObject({
      payloadTemplate: null,
      condition: { actorId: null, actorTaskId: null, actorRunId: null },
    });

    const badUpdate = await api.request('PUT', `/v2/webhooks/${created.id}`, {
      body: { requestUrl: 'nope' },
    });
    expect(badUpdate.statusCode).toBe(400);
    expect(badUpdate.json().error.message).toMatch(/requestUrl/);

    const deleted = await api.request('DELETE', `/v2/webhooks/${created.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    const gone = await api.request('GET', `/v2/webhooks/${created.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.type).toBe('record-not-found');
  });

  test('404 record-not-found for unknown ids on get, put and delete', async ({ api }) => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const response = await api.request(
        method,
        '/v2/webhooks/XXXXXXXXXXXXXXXXX',
        method === 'PUT' ? { body: {} } : {},
      );
      expect(response.statusCode, method).toBe(404);
      expect(response.json()).toEqual({
        error: { type: 'record-not-found', message: 'Webhook was not found (ID: XXXXXXXXXXXXXXXXX).' },
      });
    }
  });
});

describe('errors', () => {
  test('401 token-not-valid without a token, with a wrong one, or with a revoked one; ?token= works', async ({
    api,
  }) => {
    const none = await api.request('GET', '/v2/webhooks', { token: null });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.type).toBe('token-not-valid');
    const wrong = await api.request('GET', '/v2/webhooks', { token: 'ricochet_api_wrong' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.type).toBe('token-not-valid');

    const viaQuery = await api.request('GET', `/v2/webhooks?token=${api.admin.token}`, { token: null });
    expect(viaQuery.statusCode).toBe(200);

    const created = (await api.request('POST', '/v2/users/me/tokens', { body: { name: 'temp' } })).json()
      .data;
    expect((await api.request('GET', '/v2/webhooks', { token: created.token })).statusCode).toBe(200);
    expect((await api.request('DELETE', `/v2/users/me/tokens/${created.id}`)).statusCode).toBe(204);
    expect((await api.request('GET', '/v2/webhooks', { token: created.token })).statusCode).toBe(401);
  });

  test('403 permission-denied for writes with a read-only token; its reads work', async ({ api }) => {
    const readOnly = await api.readOnlyToken(api.admin);
    const created = (await api.request('POST', '/v2/webhooks', { body: webhookInput() })).json().data;
    expect((await api.request('GET', `/v2/webhooks/${created.id}`, { token: readOnly })).statusCode).toBe(
      200,
    );
    for (const [method, url, body] of [
      ['POST', '/v2/webhooks', webhookInput()],
      ['PUT', `/v2/webhooks/${created.id}`, { description: 'x' }],
      ['DELETE', `/v2/webhooks/${created.id}`, undefined],
    ] as const) {
      const response = await api.request(method, url, { token: readOnly, ...(body && { body }) });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.json().error.type).toBe('permission-denied');
    }
    expect((await api.request('GET', `/v2/webhooks/${created.id}`)).json().data).toEqual(created);
  });

  test('405 method-not-allowed listing the allowed methods', async ({ api }) => {
    const response = await api.request('PATCH', '/v2/webhooks', { body: {} });
    expect(response.statusCode).toBe(405);
    expect(response.json()).toEqual({
      error: {
        type: 'method-not-allowed',
        message: 'This API end-point can only be accessed using the following HTTP methods: OPTIONS,POST,GET',
      },
    });
    expect(response.headers.allow).toBe('OPTIONS, POST, GET');
    const onItem = await api.request('POST', '/v2/webhooks/abc', { body: {} });
    expect(onItem.statusCode).toBe(405);
    expect(onItem.json().error.message).toMatch(/OPTIONS,GET,PUT,DELETE$/);
  });

  test('unknown paths get the error envelope, never a bare 500', async ({ api }) => {
    const response = await api.request('GET', '/v2/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.json().error.type).toBe('record-not-found');
  });
});

describe('tenant isolation', () => {
  test("a token sees only its user's webhooks; another user's id is a 404", async ({ api }) => {
    const alice = await api.createUser('alice');
    const bob = await api.createUser('bob');
    const alices = (
      await api.request('POST', '/v2/webhooks', { token: alice.token, body: webhookInput() })
    ).json().data;
    await api.request('POST', '/v2/webhooks', { token: bob.token, body: webhookInput() });

    const bobsList = (await api.request('GET', '/v2/webhooks', { token: bob.token })).json().data;
    expect(bobsList.total).toBe(1);
    expect(bobsList.items[0].id).not.toBe(alices.id);
    expect(
      (await api.request('GET', '/v2/actors/hksJZtadYvn4mBuin/webhooks', { token: bob.token })).json().data
        .total,
    ).toBe(1);
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const response = await api.request(method, `/v2/webhooks/${alices.id}`, {
        token: bob.token,
        ...(method === 'PUT' && { body: { description: 'hijacked' } }),
      });
      expect(response.statusCode, method).toBe(404);
    }
    expect(
      (await api.request('GET', `/v2/webhooks/${alices.id}`, { token: alice.token })).json().data,
    ).toEqual(alices);
  });
});
