import { TRPCError } from '@trpc/server';
import { appRouter } from '../../src/api/index.ts';
import { createCallerFactory } from '../../src/api/trpc.ts';
import { HttpSender } from '../../src/outbound/http-sender.ts';
import { authenticateToken } from '../../src/services/tokens.ts';
import { describe, expect, test, webhookInput } from '../app-fixtures.ts';

const createCaller = createCallerFactory(appRouter);

describe('tRPC', () => {
  test('webhooks.* return exactly what the REST API returns for the same record', async ({ api }) => {
    const principal = await authenticateToken(api.prisma, api.admin.token);
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    const caller = createCaller({ prisma: api.prisma, sender, config: api.config, principal });

    const viaTrpc = await caller.webhooks.create(webhookInput({ description: 'from tRPC' }));
    const viaRest = (await api.request('GET', `/v2/webhooks/${viaTrpc.id}`)).json().data;
    expect(viaTrpc).toEqual(viaRest);

    const restCreated = (await api.request('POST', '/v2/webhooks', { body: webhookInput() })).json().data;
    expect(await caller.webhooks.get({ webhookId: restCreated.id })).toEqual(restCreated);
    expect(await caller.webhooks.list({ offset: 0, limit: 1000, desc: false })).toEqual(
      (await api.request('GET', '/v2/webhooks')).json().data,
    );
    expect(
      await caller.webhooks.list({ offset: 0, limit: 10, desc: true, actorId: 'hksJZtadYvn4mBuin' }),
    ).toEqual(
      (await api.request('GET', '/v2/actors/hksJZtadYvn4mBuin/webhooks?limit=10&desc=1')).json().data,
    );

    const updated = await caller.webhooks.update({
      webhookId: restCreated.id,
      data: { description: 'changed' },
    });
    expect(updated).toEqual((await api.request('GET', `/v2/webhooks/${restCreated.id}`)).json().data);
    expect(await caller.webhooks.delete({ webhookId: restCreated.id })).toBeNull();
    await sender.close();
  });

  test('errors carry the same types as REST', async ({ api }) => {
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    const anonymous = createCaller({ prisma: api.prisma, sender, config: api.config, principal: null });
    await expect(anonymous.webhooks.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    const bob = await api.createUser('bob');
    const bobCaller = createCaller({
      prisma: api.prisma,
      sender,
      config: api.config,
      principal: await authenticateToken(api.prisma, bob.token),
    });
    const error = await bobCaller.webhooks.get({ webhookId: 'XXXXXXXXXXXXXXXXX' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect(error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Webhook was not found (ID: XXXXXXXXXXXXXXXXX).',
    });

    const readOnly = createCaller({
      prisma: api.prisma,
      sender,
      config: api.config,
      principal: await authenticateToken(api.prisma, await api.readOnlyToken(bob)),
    });
    await expect(readOnly.webhooks.create(webhookInput())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await sender.close();
  });

  test('over HTTP, error data has the REST error type and the field-naming message', async ({ api }) => {
    const response = await api.request('POST', '/trpc/webhooks.create', {
      body: webhookInput({ requestUrl: 'nope' }),
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.data.type).toBe('invalid-input');
    expect(error.message).toMatch(/^Invalid input: requestUrl: must be an absolute/);
    expect(error.data).not.toHaveProperty('stack');

    const missing = await api.request(
      'GET',
      `/trpc/webhooks.get?input=${encodeURIComponent(JSON.stringify({ webhookId: 'nope' }))}`,
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.data.type).toBe('record-not-found');

    const unauthenticated = await api.request('GET', '/trpc/webhooks.list', { token: null });
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.json().error.data.type).toBe('token-not-valid');
  });

  test('a text/plain body is an unsupported media type, not an unsupported encoding', async ({ api }) => {
    const response = await api.request('POST', '/trpc/webhooks.create', {
      body: JSON.stringify(webhookInput()),
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.data.type).toBe('unsupported-media-type');
    expect(await api.prisma.webhook.count()).toBe(0);
  });

  test('every tRPC answer, success or error, is Cache-Control: no-store (they carry the CSRF token)', async ({
    api,
  }) => {
    const answers = [
      await api.request('GET', '/trpc/auth.session', { token: null }),
      await api.request('GET', '/trpc/webhooks.list'),
      await api.request('GET', '/trpc/webhooks.list,auth.session?batch=1&input=%7B%7D'),
      await api.request('GET', '/trpc/webhooks.get?input=%7B%7D'),
      await api.request('POST', '/trpc/webhooks.create', { body: webhookInput() }),
      await api.request('GET', '/trpc/nope.nope'),
    ];
    for (const answer of answers) expect(answer.headers['cache-control'], answer.body).toBe('no-store');
  });
});
