import { createHmac } from 'node:crypto';
import { ApifyClient } from 'apify-client';
import { appRouter } from '../../src/api/index.ts';
import { createCallerFactory } from '../../src/api/trpc.ts';
import { sqlFor } from '../../src/db/sql.ts';
import { HttpSender } from '../../src/outbound/http-sender.ts';
import { authenticateToken } from '../../src/services/tokens.ts';
import { describe, expect, ManualClock, respond, test } from '../delivery-fixtures.ts';
import { countDispatches, findDispatches } from '../dispatch-rows.ts';

const RUN_EVENT = { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } };

describe('test, dispatches and redelivery', () => {
  test('retry now: a dispatch waiting on its backoff is attempted at once, through REST and tRPC', async ({
    api,
    delivery,
  }) => {
    const failing = await delivery.receiver(respond(500, 'down'));
    const webhook = await delivery.webhook({ requestUrl: failing.url });
    await delivery.publish(RUN_EVENT);
    const worker = delivery.worker();
    await worker.runOnce();
    const [waiting] = (await api.request('GET', '/v2/webhook-dispatches')).json().data.items;
    expect(waiting).toMatchObject({ status: 'ACTIVE', attemptCount: 1 });
    expect(new Date(waiting.nextAttemptAt).getTime()).toBeGreaterThan(Date.now() + 30_000);
    // Nothing is due: another pass of the worker sends nothing.
    await worker.runOnce();
    expect(failing.received).toHaveLength(1);

    const retried = await api.request('POST', `/v2/webhook-dispatches/${waiting.id}/retry-now`);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(new Date(retried.json().data.nextAttemptAt).getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    await worker.runOnce();
    expect(failing.received).toHaveLength(2);
    expect((await api.request('GET', `/v2/webhook-dispatches/${waiting.id}`)).json().data).toMatchObject({
      status: 'ACTIVE',
      attemptCount: 2,
    });

    // The same through tRPC.
    const viaTrpc = await api.request('POST', '/trpc/dispatches.retryNow', {
      body: { dispatchId: waiting.id },
    });
    expect(viaTrpc.statusCode).toBe(200);
    await worker.runOnce();
    expect(failing.received).toHaveLength(3);

    // While an attempt runs (a worker holds the lease), while the webhook is paused, once finished,
    // for another user and read-only: refused, saying why.
    await api.prisma.dispatchQueue.update({
      where: { id: waiting.id },
      data: {
        state: 'LEASED',
        leaseExpiresAt: new Date(Date.now() + 60_000),
        leasedBy: 'someone',
        leasedAt: new Date(),
      },
    });
    const running = await api.request('POST', `/v2/webhook-dispatches/${waiting.id}/retry-now`);
    expect(running.statusCode).toBe(400);
    expect(running.json().error.message).toMatch(/running right now/);
    await api.prisma.dispatchQueue.update({
      where: { id: waiting.id },
      data: { state: 'SCHEDULED', leaseExpiresAt: null, leasedBy: null, leasedAt: null },
    });
    await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'STOPPED' } });
    const paused = await api.request('POST', `/v2/webhook-dispatches/${waiting.id}/retry-now`);
    expect(paused.statusCode).toBe(400);
    expect(paused.json().error.message).toMatch(/paused/);
    const other = await api.createUser('other');
    expect(
      (await api.request('POST', `/v2/webhook-dispatches/${waiting.id}/retry-now`, { token: other.token }))
        .statusCode,
    ).toBe(404);
    expect(
      (
        await api.request('POST', `/v2/webhook-dispatches/${waiting.id}/retry-now`, {
          token: await api.readOnlyToken(api.admin),
        })
      ).statusCode,
    ).toBe(403);
    // As the worker finishes it: out of the queue, into the history.
    const queued = await api.prisma.dispatchQueue.delete({ where: { id: waiting.id } });
    await api.prisma.dispatch.create({
      data: {
        id: queued.id,
        userId: queued.userId,
        webhookId: queued.webhookId,
        eventId: queued.eventId,
        eventType: queued.eventType,
        status: 'FAILED',
        attemptCount: queued.attemptCount,
        createdAt: queued.createdAt,
        finishedAt: new Date(),
      },
    });
    const finished = await api.request('POST', `/v2/webhook-dispatches/${waiting.id}/retry-now`);
    expect(finished.statusCode).toBe(400);
    expect(finished.json().error.message).toMatch(/redeliver/);
    expect((await api.request('POST', '/v2/webhook-dispatches/XXXXXXXXXXXXXXXXX/retry-now')).statusCode).toBe(
      404,
    );
  });

  test('POST /v2/webhooks/:id/test: 201 with a TEST dispatch, delivered like any other', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url, state: 'STOPPED' });
    const response = await api.request('POST', `/v2/webhooks/${webhook.id}/test`);
    expect(response.statusCode).toBe(201);
    const dispatch = response.json().data;
    expect(dispatch).toMatchObject({ webhookId: webhook.id, status: 'ACTIVE', eventType: 'TEST', calls: [] });
    expect(dispatch.id).toMatch(/^[A-Za-z0-9]{17}$/);
    await delivery.worker().runOnce();
    expect(JSON.parse(receiver.received[0]?.body ?? '')).toMatchObject({
      eventType: 'TEST',
      eventData: dispatch.eventData,
    });
    const after = (await api.request('GET', `/v2/webhook-dispatches/${dispatch.id}`)).json().data;
    expect(after.status).toBe('SUCCEEDED');
    expect((await api.request('POST', '/v2/webhooks/XXXXXXXXXXXXXXXXX/test')).statusCode).toBe(404);
  });

  test('lists dispatches in Apify shapes, filtered by status and event type, per user and per webhook', async ({
    api,
    delivery,
  }) => {
    const ok = await delivery.receiver();
    const failing = await delivery.receiver(respond(500));
    const good = await delivery.webhook({
      requestUrl: ok.url,
      eventTypes: ['ACTOR.RUN.SUCCEEDED', 'ACTOR.RUN.FAILED'],
    });
    const bad = await delivery.webhook({ requestUrl: failing.url, doNotRetry: true });
    await delivery.publish(RUN_EVENT);
    await delivery.publish({ ...RUN_EVENT, eventType: 'ACTOR.RUN.FAILED' });
    await delivery.worker().runOnce();

    const all = (await api.request('GET', '/v2/webhook-dispatches')).json().data;
    expect(all).toMatchObject({ total: 3, count: 3, offset: 0, limit: 1000, desc: false });
    const failed = (await api.request('GET', '/v2/webhook-dispatches?status=FAILED')).json().data;
    expect(failed.items.map((d: { webhookId: string }) => d.webhookId)).toEqual([bad.id]);
    const byType = (await api.request('GET', '/v2/webhook-dispatches?eventType=ACTOR.RUN.FAILED')).json()
      .data;
    expect(byType.total).toBe(1);
    const ofGood = (await api.request('GET', `/v2/webhooks/${good.id}/dispatches?desc=1`)).json().data;
    expect(ofGood.items.map((d: { eventType: string }) => d.eventType)).toEqual([
      'ACTOR.RUN.FAILED',
      'ACTOR.RUN.SUCCEEDED',
    ]);
    expect((await api.request('GET', '/v2/webhook-dispatches?status=DONE')).statusCode).toBe(400);

    const stranger = await api.createUser('stranger');
    expect(
      (await api.request('GET', '/v2/webhook-dispatches', { token: stranger.token })).json().data.total,
    ).toBe(0);
    expect(
      (await api.request('GET', `/v2/webhook-dispatches/${failed.items[0].id}`, { token: stranger.token }))
        .statusCode,
    ).toBe(404);
    expect(
      (await api.request('GET', `/v2/webhooks/${good.id}/dispatches`, { token: stranger.token })).statusCode,
    ).toBe(404);
  });

  test('a batch (dispatches sharing one createdAt) pages in id order, each with its own event data', async ({
    api,
    delivery,
  }) => {
    // Every event of one publish request has the same createdAt: the list orders the tie by id, and
    // joins each page's events after choosing the page (services/dispatches.ts findDispatchRows).
    const webhook = await delivery.webhook({ condition: {} });
    await sqlFor(api.prisma).query(
      `WITH e AS (
        INSERT INTO "Event" ("id", "userId", "eventType", "eventData", "dispatchCount", "createdAt")
        SELECT 'batchEvent' || lpad(i::text, 2, '0'), $1, 'ACTOR.RUN.SUCCEEDED', jsonb_build_object('n', i), 1,
          date_trunc('second', timezone('UTC', now()))
        FROM generate_series(1, 30) i RETURNING "id", "createdAt"
      )
      INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventId", "eventType", "status", "attemptCount", "createdAt", "finishedAt")
      SELECT 'batchDispatch' || substr(e."id", 11), $1, $2, e."id", 'ACTOR.RUN.SUCCEEDED', 'SUCCEEDED', 1, e."createdAt", e."createdAt"
      FROM e`,
      [api.admin.id, webhook.id],
    );
    const page = (await api.request('GET', '/v2/webhook-dispatches?desc=1&offset=10&limit=10')).json().data;
    expect(page.total).toBe(30);
    expect(page.items.map((d: { id: string }) => d.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `batchDispatch${String(20 - i).padStart(2, '0')}`),
    );
    for (const item of page.items as Array<{ id: string; eventData: { n: number } }>) {
      expect(item.eventData.n).toBe(Number(item.id.slice(-2)));
    }
  });

  test("redelivers one dispatch, and a webhook's failed dispatches in a time window", async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(500));
    const webhook = await delivery.webhook({ requestUrl: receiver.url, doNotRetry: true });
    // A threshold above 3, so the failures below do not switch the webhook off (which would park
    // its redeliveries until it is ACTIVE again).
    const worker = delivery.worker({ settings: { failureThreshold: 10 } });
    for (let index = 0; index < 3; index++) await delivery.publish(RUN_EVENT);
    await worker.runOnce();
    const failed = await findDispatches(api.prisma);
    expect(failed.every((d) => d.status === 'FAILED')).toBe(true);

    receiver.queue(respond(200));
    const one = await api.request('POST', `/v2/webhook-dispatches/${failed[0]?.id}/redeliver`);
    expect(one.statusCode).toBe(200);
    expect(one.json().data.status).toBe('ACTIVE');
    await worker.runOnce();
    const redelivered = (await api.request('GET', `/v2/webhook-dispatches/${failed[0]?.id}`)).json().data;
    expect(redelivered.status).toBe('SUCCEEDED');
    expect(redelivered.calls.map((c: { responseStatus: number }) => c.responseStatus)).toEqual([500, 200]);
    // Still ACTIVE ones cannot be redelivered twice at once.
    await api.request('POST', `/v2/webhook-dispatches/${failed[1]?.id}/redeliver`);
    expect((await api.request('POST', `/v2/webhook-dispatches/${failed[1]?.id}/redeliver`)).statusCode).toBe(
      400,
    );
    await worker.runOnce();

    const since = new Date(Date.now() - 60_000).toISOString();
    receiver.queue(respond(200), respond(200));
    const bulk = await api.request('POST', `/v2/webhooks/${webhook.id}/dispatches/redeliver`, {
      body: { since },
    });
    expect(bulk.statusCode).toBe(200);
    expect(bulk.json().data.redelivered).toBe(2);
    await worker.runOnce();
    expect(await countDispatches(api.prisma, { status: 'SUCCEEDED' })).toBe(3);
    const none = await api.request('POST', `/v2/webhooks/${webhook.id}/dispatches/redeliver`, {
      body: { since: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(none.json().data).toEqual({ redelivered: 0, dispatchIds: [] });
  });

  test("apify-client's webhook test, dispatch lists and dispatch get work against Ricochet", async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(200, 'received'));
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    const client = new ApifyClient({ baseUrl: await api.listen(), token: api.admin.token, maxRetries: 0 });
    const tested = await client.webhook(webhook.id).test();
    expect(tested).toMatchObject({ webhookId: webhook.id, eventType: 'TEST', status: 'ACTIVE' });
    await delivery.worker().runOnce();
    const ofWebhook = await client.webhook(webhook.id).dispatches().list();
    expect(ofWebhook.items.map((d) => d.id)).toEqual([tested?.id]);
    const all = await client.webhookDispatches().list({ desc: true });
    expect(all.total).toBe(1);
    const fetched = await client.webhookDispatch(tested?.id as string).get();
    expect(fetched).toMatchObject({
      status: 'SUCCEEDED',
      calls: [{ responseStatus: 200, responseBody: 'received' }],
    });
    expect(fetched?.calls?.[0]?.startedAt).toBeInstanceOf(Date);
    expect(await client.webhookDispatch('XXXXXXXXXXXXXXXXX').get()).toBeUndefined();
    expect(await client.webhook('XXXXXXXXXXXXXXXXX').test()).toBeUndefined();
  });
});

describe('SuperOffice Webhook/Test', () => {
  test('pings a definition synchronously, signed, and answers {Success, Message}; nothing is saved', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(200, 'pong', { 'x-receiver': 'yes' }));
    const response = await api.request('POST', '/api/v1/Webhook/Test', {
      body: {
        WebhookId: 391,
        Name: 'Douglas Group',
        Events: ['contact.created'],
        TargetUrl: `${receiver.url}/so`,
        Secret: 'my-shared-secret',
        State: 'Active',
        Type: 'webhook',
        Headers: { Headers1: 'quam' },
        Properties: { fieldName: { nested: true } },
        RegisteredAssociate: { AssociateId: 678 },
      },
    });
    expect(response.statusCode).toBe(200);
    const result = response.json();
    expect(result.Success).toBe(true);
    expect(result.Message).toMatch(/^HTTP 200\r\n/);
    expect(result.Message).toContain('x-receiver: yes');
    expect(result.Message).toMatch(/\r\n\r\npong$/);
    const [request] = receiver.received;
    const body = JSON.parse(request?.body ?? '');
    expect(body).toMatchObject({ Event: 'test', WebhookName: 'Douglas Group', fieldName: { nested: true } });
    expect(request?.headers.headers1).toBe('quam');
    expect(request?.headers['x-superoffice-signature']).toBe(
      createHmac('sha256', 'my-shared-secret')
        .update(request?.body ?? '')
        .digest('base64'),
    );
    expect(await api.prisma.webhook.count()).toBe(0);
    expect(await countDispatches(api.prisma)).toBe(0);
  });

  test('a failing target answers Success false with the reason; a bad definition is a 400', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(500, 'nope'));
    const failed = (
      await api.request('POST', '/api/v1/Webhook/Test', { body: { TargetUrl: receiver.url } })
    ).json();
    expect(failed.Success).toBe(false);
    expect(failed.Message).toMatch(/^HTTP 500/);
    const invalid = await api.request('POST', '/api/v1/Webhook/Test', { body: { Name: 'no url' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().Message).toMatch(/TargetUrl/);
  });
});

describe('metrics', () => {
  test('/metrics reports deliveries by outcome and the queue', async ({ api, delivery }) => {
    const receiver = await delivery.receiver(respond(500));
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    await delivery.publish(RUN_EVENT);
    const clock = new ManualClock();
    const worker = delivery.worker({ clock, settings: { batchSize: 1 } });
    await worker.runOnce();
    const response = await api.request('GET', '/metrics', { token: null });
    expect(response.statusCode).toBe(200);
    const text = response.body;
    expect(text).toMatch(/ricochet_delivery_attempts_total\{outcome="retrying"\} 1/);
    expect(text).toMatch(/ricochet_queue_due_dispatches 1/);
    expect(text).toMatch(/ricochet_delivery_attempt_duration_seconds_count\{outcome="retrying"\} 1/);
    expect(text).toMatch(/ricochet_webhooks_failing 0/);
    expect(text).toMatch(/ricochet_webhooks_disabled 0/);
  });

  test("/metrics reports failing and disabled webhooks, never a tenant's receiver host", async ({
    api,
    delivery,
  }) => {
    const held: Array<() => void> = [];
    const hanging = await delivery.receiver(async (_request, response) => {
      await new Promise<void>((resolve) => held.push(resolve));
      response.writeHead(204).end();
    });
    await delivery.webhook({ requestUrl: hanging.url });
    await delivery.publish(RUN_EVENT);
    await delivery.publish(RUN_EVENT);
    const running = delivery.worker().runOnce();
    const metrics = async () => (await api.request('GET', '/metrics', { token: null })).body;
    const host = new URL(hanging.url).host;
    await expect.poll(() => held.length, { timeout: 30_000 }).toBe(2);
    // Two calls in flight to the host, and /metrics (answered without a token) does not name it.
    expect(await metrics()).not.toContain(host);
    for (const release of held) release();
    await running;
    await api.prisma.webhook.updateMany({ data: { failingSince: new Date(), state: 'TOO_MANY_ERRORS' } });
    await expect
      .poll(metrics, { timeout: 30_000 })
      .toMatch(/ricochet_webhooks_failing 1\n[\s\S]*ricochet_webhooks_disabled 1/);
  });
});

describe('tRPC delivery procedures', () => {
  test('events.publish, webhooks.test, dispatches.* return what REST returns', async ({ api, delivery }) => {
    const sender = new HttpSender({
      policy: { allowLoopback: true, allowPrivate: false },
      userAgent: 'test',
    });
    const caller = createCallerFactory(appRouter)({
      prisma: api.prisma,
      sender,
      config: api.config,
      principal: await authenticateToken(api.prisma, api.admin.token),
    });
    try {
      const receiver = await delivery.receiver(respond(500));
      const webhook = await delivery.webhook({ requestUrl: receiver.url, doNotRetry: true });
      const event = await caller.events.publish(RUN_EVENT);
      expect(event).toEqual((await api.request('GET', `/v2/events/${event.id}`)).json().data);
      const tested = await caller.webhooks.test({ webhookId: webhook.id });
      await delivery.worker({ settings: { failureThreshold: 10 } }).runOnce();
      expect(await caller.dispatches.get({ dispatchId: tested.id })).toEqual(
        (await api.request('GET', `/v2/webhook-dispatches/${tested.id}`)).json().data,
      );
      expect(await caller.dispatches.list({ offset: 0, limit: 10, desc: true, status: 'FAILED' })).toEqual(
        (await api.request('GET', '/v2/webhook-dispatches?limit=10&desc=1&status=FAILED')).json().data,
      );
      expect(
        await caller.webhooks.dispatches({
          webhookId: webhook.id,
          query: { offset: 0, limit: 1000, desc: false },
        }),
      ).toEqual((await api.request('GET', `/v2/webhooks/${webhook.id}/dispatches`)).json().data);
      const redelivered = await caller.dispatches.redeliver({ dispatchId: tested.id });
      expect(redelivered.status).toBe('ACTIVE');
      const result = await caller.webhooks.redeliverFailed({
        webhookId: webhook.id,
        data: { since: new Date(Date.now() - 60_000).toISOString() },
      });
      expect(result.redelivered).toBe(1);
      const definition = await caller.webhooks.testDefinition({ TargetUrl: receiver.url });
      expect(definition).toMatchObject({ Success: false, Message: expect.stringMatching(/^HTTP 500/) });
    } finally {
      await sender.close();
    }
  });
});
