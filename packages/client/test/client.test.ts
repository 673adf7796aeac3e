import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningRicochet, respond, startReceiver, startServer } from '@ricochet/testkit';
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from 'vitest';
import {
  createRicochetClient,
  type Dispatch,
  isRicochetError,
  type RicochetClient,
  RicochetError,
} from '../src/index.ts';
import { forwardRequest, recordingFetch, waitUntil } from './helpers.ts';

let server: RunningRicochet;
let client: RicochetClient;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  [server, receiver] = await Promise.all([startServer(), startReceiver(respond(200, 'ok'))]);
  client = createRicochetClient({ baseUrl: server.baseUrl, token: server.token });
});
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

const finished = (dispatch: Dispatch) => dispatch.status !== 'ACTIVE';

describe('webhooks', () => {
  test('create, list, get, update, secrets, rotateSecret, test, testUnsaved, delete', async () => {
    const created = await client.webhooks.create({
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: `${receiver.url}/crud`,
      condition: { actorId: 'actor-crud' },
      description: 'crud',
    });
    expect(created).toMatchObject({
      requestUrl: `${receiver.url}/crud`,
      condition: { actorId: 'actor-crud' },
      errorsEmail: null,
      propagateTraceContext: true,
    });
    expect(
      await client.webhooks.update(created.id, {
        errorsEmail: 'oncall@example.com',
        propagateTraceContext: false,
      }),
    ).toMatchObject({ errorsEmail: 'oncall@example.com', propagateTraceContext: false });

    // The client made an idempotency key for it: the same key again returns the same webhook.
    const again = await client.webhooks.create({
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: `${receiver.url}/crud-2`,
      idempotencyKey: 'crud-key',
    });
    expect(
      (
        await client.webhooks.create({
          eventTypes: ['ACTOR.RUN.SUCCEEDED'],
          requestUrl: `${receiver.url}/crud-2`,
          idempotencyKey: 'crud-key',
        })
      ).id,
    ).toBe(again.id);

    expect((await client.webhooks.get(created.id)).description).toBe('crud');
    const page = await client.webhooks.list({ desc: true, limit: 10 });
    expect(page.items.map((item) => item.id)).toEqual(expect.arrayContaining([created.id, again.id]));
    const byActor = await client.webhooks.list({ actorId: 'actor-crud' });
    expect(byActor.items.map((item) => item.id)).toEqual([created.id]);

    const updated = await client.webhooks.update(created.id, { description: 'renamed', state: 'STOPPED' });
    expect(updated).toMatchObject({ description: 'renamed', state: 'STOPPED' });

    const secrets = await client.webhooks.secrets(created.id);
    expect(secrets.secrets).toHaveLength(1);
    const rotated = await client.webhooks.rotateSecret(created.id, { gracePeriodSeconds: 60 });
    expect(rotated.secrets).toHaveLength(2);
    expect(rotated.secrets[1]?.secret).toBe(secrets.secrets[0]?.secret);

    await client.webhooks.update(created.id, { state: 'ACTIVE' });
    const tested = await client.webhooks.test(created.id);
    expect(tested).toMatchObject({ webhookId: created.id, eventType: 'TEST' });
    const delivered = await waitUntil(() => client.dispatches.get(tested.id), finished);
    expect(delivered.status).toBe('SUCCEEDED');

    const unsaved = await client.webhooks.testUnsaved({ requestUrl: `${receiver.url}/unsaved` });
    expect(unsaved).toMatchObject({ succeeded: true, call: { responseStatus: 200, responseBody: 'ok' } });
    expect(receiver.received.some((request) => request.url === '/unsaved')).toBe(true);

    await client.webhooks.delete(again.id);
    await expect(client.webhooks.get(again.id)).rejects.toSatisfy((error) =>
      isRicochetError(error, 'record-not-found'),
    );
  });
});

describe('events, dispatches and redelivery', () => {
  test('publish, get, dispatches list/get/redeliver, webhook dispatches, redeliverFailed', async () => {
    const failing = await startReceiver(respond(500, 'down'));
    try {
      await client.eventTypes.create({ name: 'invoice.paid', description: 'An invoice was paid' });
      const webhook = await client.webhooks.create({
        eventTypes: ['invoice.paid'],
        requestUrl: failing.url,
        doNotRetry: true,
      });
      const since = new Date(Date.now() - 60_000).toISOString();
      const event = await client.events.publish({
        eventType: 'invoice.paid',
        eventData: { invoice: 'INV-1' },
      });
      expect(event).toMatchObject({ eventType: 'invoice.paid', dispatchCount: 1 });
      expect(await client.events.get(event.id)).toEqual(event);

      const listed = await client.webhooks.dispatches(webhook.id);
      expect(listed.total).toBe(1);
      const dispatchId = listed.items[0]?.id as string;
      const failed = await waitUntil(() => client.dispatches.get(dispatchId), finished);
      expect(failed.status).toBe('FAILED');
      expect(failed.calls[0]).toMatchObject({ responseStatus: 500, responseBody: 'down' });
      expect(
        (await client.dispatches.list({ status: 'FAILED', eventType: 'invoice.paid' })).items,
      ).toHaveLength(1);

      const redelivered = await client.dispatches.redeliver(dispatchId);
      expect(redelivered).toMatchObject({ id: dispatchId, status: 'ACTIVE' });
      await waitUntil(() => client.dispatches.get(dispatchId), finished);
      const bulk = await client.webhooks.redeliverFailed(webhook.id, { since });
      expect(bulk).toEqual({ redelivered: 1, dispatchIds: [dispatchId] });
      expect(await waitUntil(() => client.dispatches.get(dispatchId), finished)).toMatchObject({
        attemptCount: 3,
      });
    } finally {
      await failing.close();
    }
  });
});

describe('retry now', () => {
  test('a dispatch waiting on its backoff (a minute here) is attempted at once', async () => {
    const failing = await startReceiver(respond(500, 'down'));
    try {
      const webhook = await client.webhooks.create({
        eventTypes: ['ACTOR.RUN.SUCCEEDED'],
        requestUrl: failing.url,
      });
      await client.events.publish({ eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'x' } });
      const dispatchId = (await client.webhooks.dispatches(webhook.id)).items[0]?.id as string;
      const waiting = await waitUntil(
        () => client.dispatches.get(dispatchId),
        (dispatch) => dispatch.attemptCount === 1 && dispatch.calls[0]?.finishedAt !== null,
      );
      expect(new Date(waiting.nextAttemptAt as string).getTime()).toBeGreaterThan(Date.now() + 20_000);
      const retried = await client.dispatches.retryNow(dispatchId);
      expect(retried).toMatchObject({ id: dispatchId, status: 'ACTIVE' });
      expect(
        (
          await waitUntil(
            () => client.dispatches.get(dispatchId),
            (d) => d.attemptCount === 2,
          )
        ).status,
      ).toBe('ACTIVE');
      await expect(client.dispatches.retryNow('XXXXXXXXXXXXXXXXX')).rejects.toSatisfy((error) =>
        isRicochetError(error, 'record-not-found'),
      );
    } finally {
      await failing.close();
    }
  });
});

describe('event types, users and tokens', () => {
  test('eventTypes list/create/delete', async () => {
    const created = await client.eventTypes.create({ name: 'contact.created' });
    expect(created).toMatchObject({ name: 'contact.created', builtIn: false });
    const names = (await client.eventTypes.list()).map((type) => type.name);
    expect(names).toEqual(expect.arrayContaining(['ACTOR.RUN.SUCCEEDED', 'contact.created']));
    await client.eventTypes.delete('contact.created');
    expect((await client.eventTypes.list()).map((type) => type.name)).not.toContain('contact.created');
  });

  test('users me/list/create; tokens list/create/revoke; a READ_ONLY token cannot write', async () => {
    expect(await client.users.me()).toMatchObject({ username: 'admin', isAdmin: true });
    const alice = await client.users.create({ username: 'alice' });
    expect(alice.user).toMatchObject({ username: 'alice', isAdmin: false });
    expect((await client.users.list()).map((user) => user.username)).toEqual(
      expect.arrayContaining(['admin', 'alice']),
    );

    const asAlice = createRicochetClient({ baseUrl: server.baseUrl, token: alice.token.token });
    expect(await asAlice.users.me()).toMatchObject({ username: 'alice', alertEmail: null });
    expect((await asAlice.users.setAlertEmail('alice@example.com')).alertEmail).toBe('alice@example.com');
    expect((await asAlice.users.me()).alertEmail).toBe('alice@example.com');
    await expect(asAlice.users.setAlertEmail('not an address')).rejects.toMatchObject({ status: 400 });
    const readOnly = await asAlice.tokens.create({ name: 'reader', scope: 'READ_ONLY' });
    expect((await asAlice.tokens.list()).map((token) => token.name)).toEqual(
      expect.arrayContaining(['reader']),
    );
    const reader = createRicochetClient({ baseUrl: server.baseUrl, token: readOnly.token });
    expect((await reader.webhooks.list()).total).toBe(0);
    const denied = await reader.eventTypes.create({ name: 'nope.nope' }).catch((error: unknown) => error);
    expect(denied).toMatchObject({ type: 'permission-denied', status: 403 });
    // Another tenant's records answer like missing ones.
    await expect(asAlice.users.list()).rejects.toMatchObject({ type: 'permission-denied' });

    await asAlice.tokens.revoke(readOnly.id);
    const revoked = await reader.users.me().catch((error: unknown) => error);
    expect(revoked).toMatchObject({ type: 'token-not-valid', status: 401 });
  });
});

describe('errors', () => {
  test('one error class with type, status and message, narrowed by type; 4xx never retried', async () => {
    const { calls, fetch } = recordingFetch();
    const counted = createRicochetClient({ baseUrl: server.baseUrl, token: server.token, fetch });
    const error = await counted.webhooks.get('XXXXXXXXXXXXXXXXX').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RicochetError);
    expect(error).toMatchObject({
      type: 'record-not-found',
      status: 404,
      message: expect.stringMatching(/Webhook/),
    });
    if (isRicochetError(error, 'record-not-found')) {
      expectTypeOf(error.type).toEqualTypeOf<'record-not-found'>();
      expectTypeOf(error.status).toEqualTypeOf<number>();
    }
    expect(isRicochetError(error, 'invalid-input')).toBe(false);

    const invalid = await counted.webhooks
      // @ts-expect-error eventTypes must be a list: a wrong field is a type error, and a 400 at run time
      .create({ eventTypes: 'ACTOR.RUN.SUCCEEDED', requestUrl: 'https://example.com' })
      .catch((caught: unknown) => caught);
    expect(invalid).toMatchObject({
      type: 'invalid-input',
      status: 400,
      message: expect.stringMatching(/eventTypes/),
    });
    const unauthorized = createRicochetClient({ baseUrl: server.baseUrl, token: 'wrong-token', fetch });
    await expect(unauthorized.users.me()).rejects.toMatchObject({ type: 'token-not-valid', status: 401 });
    expect(calls.map((call) => call.status)).toEqual([404, 400, 401]);
  });

  test("the caller's AbortSignal stops a call", async () => {
    const aborted = client.users.me({ signal: AbortSignal.abort() });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('no answer at all is a network-error with status 0 (not retried when retry is off)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { calls, fetch } = recordingFetch();
    const nowhere = createRicochetClient({
      baseUrl: `http://127.0.0.1:${port}`,
      token: 't',
      fetch,
      retry: false,
    });
    await expect(nowhere.users.me()).rejects.toMatchObject({ type: 'network-error', status: 0, attempts: 1 });
    expect(calls).toHaveLength(1);
  });
});

describe('pagination', () => {
  test('await: one page; for await: every item across pages', async () => {
    const owner = await client.users.create({ username: 'pager' });
    const { calls, fetch } = recordingFetch();
    const pager = createRicochetClient({ baseUrl: server.baseUrl, token: owner.token.token, fetch });
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.push(
        (await pager.webhooks.create({ eventTypes: ['TEST'], requestUrl: `https://example.com/${index}` }))
          .id,
      );
    }
    const first = await pager.webhooks.list({ limit: 2 });
    expect(first).toMatchObject({ total: 5, offset: 0, limit: 2, count: 2 });
    expect(first.items.map((item) => item.id)).toEqual(ids.slice(0, 2));

    calls.length = 0;
    const all: string[] = [];
    for await (const webhook of pager.webhooks.list({ limit: 2 })) all.push(webhook.id);
    expect(all).toEqual(ids);
    expect(calls.map((call) => new URL(call.url).searchParams.get('offset'))).toEqual(['0', '2', '4']);

    const newestFirst: string[] = [];
    for await (const webhook of pager.webhooks.list({ limit: 3, desc: true, offset: 1 }))
      newestFirst.push(webhook.id);
    expect(newestFirst).toEqual(ids.slice(0, 4).reverse());
  });
});

describe('publishing through a dropped connection', () => {
  test('the retry carries the same idempotency key, so one event is stored', async () => {
    // A proxy that forwards the first publish to Ricochet and then drops the connection instead of
    // answering: the event is stored, the client never hears so, and retries.
    let dropRequest: string | null = 'POST /v2/events';
    let dropped = 0;
    const proxy = createServer(async (request, response) => {
      const upstream = await forwardRequest(server.baseUrl, request);
      if (`${request.method} ${request.url}` === dropRequest) {
        dropRequest = null;
        dropped++;
        request.socket.destroy();
        return;
      }
      response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(upstream.body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      await client.eventTypes.create({ name: 'order.shipped' });
      const webhook = await client.webhooks.create({
        eventTypes: ['order.shipped'],
        requestUrl: receiver.url,
      });
      const { calls, fetch } = recordingFetch();
      const viaProxy = createRicochetClient({
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        token: server.token,
        fetch,
        retry: { minDelayMs: 10 },
      });
      const event = await viaProxy.events.publish({ eventType: 'order.shipped', eventData: { order: 7 } });
      expect(dropped).toBe(1);
      expect(calls.map((call) => call.status)).toEqual([0, 201]);
      const dispatches = await client.webhooks.dispatches(webhook.id);
      expect(dispatches.total).toBe(1);
      expect(dispatches.items[0]?.eventData).toEqual({ order: 7 });
      expect(event.dispatchCount).toBe(1);

      // A POST that has no key to make it safe (creating a token) is not repeated: the caller learns
      // that the answer was lost, and the token exists once.
      dropRequest = 'POST /v2/users/me/tokens';
      calls.length = 0;
      await expect(viaProxy.tokens.create({ name: 'not-repeated' })).rejects.toMatchObject({
        type: 'network-error',
        attempts: 1,
      });
      expect(calls.map((call) => call.status)).toEqual([0]);
      expect((await client.tokens.list()).filter((token) => token.name === 'not-repeated')).toHaveLength(1);

      // A DELETE whose answer was lost is repeated; the repeat finding nothing means it was done.
      dropRequest = `DELETE /v2/webhooks/${webhook.id}`;
      calls.length = 0;
      await expect(viaProxy.webhooks.delete(webhook.id)).resolves.toBeUndefined();
      expect(calls.map((call) => call.status)).toEqual([0, 404]);
      await expect(client.webhooks.get(webhook.id)).rejects.toMatchObject({ type: 'record-not-found' });
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
