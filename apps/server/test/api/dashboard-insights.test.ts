import { TRPCError } from '@trpc/server';
import { appRouter } from '../../src/api/index.ts';
import { createCallerFactory } from '../../src/api/trpc.ts';
import { HttpSender } from '../../src/outbound/http-sender.ts';
import { newRecordId } from '../../src/services/ids.ts';
import { authenticateToken } from '../../src/services/tokens.ts';
import { describe, expect, type TestApi, test, webhookInput } from '../app-fixtures.ts';

const createCaller = createCallerFactory(appRouter);
const HOUR = 3600_000;

async function callerFor(api: TestApi, token: string) {
  const principal = await authenticateToken(api.prisma, token);
  const sender = new HttpSender({ policy: { allowLoopback: true, allowPrivate: false }, userAgent: 'test' });
  return createCaller({ prisma: api.prisma, sender, config: api.config, principal });
}

/** Dispatch rows as the worker leaves them, created `hoursAgo` before now. */
async function seedDispatches(
  api: TestApi,
  args: {
    userId: string;
    webhookId: string;
    rows: Array<{
      status: 'SUCCEEDED' | 'FAILED' | 'ACTIVE';
      hoursAgo: number;
      attempts?: number;
      eventType?: string;
    }>;
  },
) {
  const now = Date.now();
  const base = (row: (typeof args.rows)[number]) => ({
    id: newRecordId(),
    userId: args.userId,
    webhookId: args.webhookId,
    eventType: row.eventType ?? 'TEST',
    attemptCount: row.attempts ?? (row.status === 'ACTIVE' ? 0 : 1),
    createdAt: new Date(now - row.hoursAgo * HOUR),
  });
  // Finished dispatches are history; ACTIVE ones are in the queue, waiting for a retry.
  await api.prisma.dispatch.createMany({
    data: args.rows
      .filter((row) => row.status !== 'ACTIVE')
      .map((row) => ({
        ...base(row),
        status: row.status as 'SUCCEEDED' | 'FAILED',
        finishedAt: new Date(now - row.hoursAgo * HOUR + 1000),
      })),
  });
  await api.prisma.dispatchQueue.createMany({
    data: args.rows
      .filter((row) => row.status === 'ACTIVE')
      .map((row) => ({ ...base(row), state: 'SCHEDULED' as const, runAt: new Date(now + HOUR) })),
  });
}

describe('dashboard read models', () => {
  test('webhooks: search, filters, a page, and the 24 h success rate from dispatch rows', async ({ api }) => {
    const caller = await callerFor(api, api.admin.token);
    const orders = await caller.webhooks.create(
      webhookInput({
        requestUrl: 'https://orders.example.com/hook',
        description: 'Orders',
        eventTypes: ['TEST'],
      }),
    );
    const billing = await caller.webhooks.create(
      webhookInput({ requestUrl: 'https://billing.example.com/hook', eventTypes: ['ACTOR.RUN.FAILED'] }),
    );
    await caller.webhooks.update({ webhookId: billing.id, data: { state: 'STOPPED' } });
    await seedDispatches(api, {
      userId: api.admin.id,
      webhookId: orders.id,
      rows: [
        { status: 'SUCCEEDED', hoursAgo: 1 },
        { status: 'SUCCEEDED', hoursAgo: 2 },
        { status: 'SUCCEEDED', hoursAgo: 3 },
        { status: 'FAILED', hoursAgo: 4 },
        { status: 'ACTIVE', hoursAgo: 0 },
        // Older than a day: not counted.
        { status: 'FAILED', hoursAgo: 30 },
      ],
    });

    const all = await caller.insights.webhooks({});
    expect(all.total).toBe(2);
    // Newest first.
    expect(all.items.map((item) => item.id)).toEqual([billing.id, orders.id]);
    const ordersRow = all.items.find((item) => item.id === orders.id);
    expect(ordersRow?.last24h).toEqual({ succeeded: 3, failed: 1, active: 1 });
    expect(ordersRow?.successRate24h).toBe(0.75);
    expect(all.items.find((item) => item.id === billing.id)?.successRate24h).toBeNull();

    expect((await caller.insights.webhooks({ search: 'ORDERS.example' })).items.map((i) => i.id)).toEqual([
      orders.id,
    ]);
    expect((await caller.insights.webhooks({ search: orders.id })).items.map((i) => i.id)).toEqual([
      orders.id,
    ]);
    expect((await caller.insights.webhooks({ state: 'STOPPED' })).items.map((i) => i.id)).toEqual([
      billing.id,
    ]);
    expect((await caller.insights.webhooks({ eventType: 'TEST' })).items.map((i) => i.id)).toEqual([
      orders.id,
    ]);
    const page = await caller.insights.webhooks({ offset: 1, limit: 1 });
    expect(page).toMatchObject({ total: 2, offset: 1, limit: 1, count: 1 });

    // Another user sees none of it.
    const bob = await api.createUser('bob');
    expect((await (await callerFor(api, bob.token)).insights.webhooks({})).total).toBe(0);
  });

  test('the hourly histogram counts each outcome per hour and fills empty hours', async ({ api }) => {
    const caller = await callerFor(api, api.admin.token);
    const webhook = await caller.webhooks.create(webhookInput());
    await seedDispatches(api, {
      userId: api.admin.id,
      webhookId: webhook.id,
      rows: [
        { status: 'SUCCEEDED', hoursAgo: 0 },
        { status: 'FAILED', hoursAgo: 0 },
        { status: 'ACTIVE', hoursAgo: 0, attempts: 2 },
        { status: 'ACTIVE', hoursAgo: 0, attempts: 0 },
        { status: 'SUCCEEDED', hoursAgo: 5 },
        { status: 'SUCCEEDED', hoursAgo: 48 },
      ],
    });
    const buckets = await caller.insights.histogram({ webhookId: webhook.id, hours: 24 });
    expect(buckets).toHaveLength(24);
    const hours = buckets.map((bucket) => Date.parse(bucket.hour));
    expect(hours.every((hour, index) => index === 0 || hour - (hours[index - 1] as number) === HOUR)).toBe(
      true,
    );
    expect(buckets.at(-1)).toMatchObject({ succeeded: 1, failed: 1, retrying: 1, pending: 1 });
    const total = buckets.reduce((sum, bucket) => sum + bucket.succeeded + bucket.failed, 0);
    expect(total).toBe(3);
    expect(
      buckets.filter((bucket) => bucket.succeeded + bucket.failed + bucket.retrying + bucket.pending > 0),
    ).toHaveLength(2);

    const bob = await api.createUser('bob');
    await expect(
      (await callerFor(api, bob.token)).insights.histogram({ webhookId: webhook.id, hours: 24 }),
    ).rejects.toThrow(TRPCError);
  });

  test('the dispatch log filters by status, event type and window, newest first', async ({ api }) => {
    const caller = await callerFor(api, api.admin.token);
    const webhook = await caller.webhooks.create(webhookInput());
    await seedDispatches(api, {
      userId: api.admin.id,
      webhookId: webhook.id,
      rows: [
        { status: 'SUCCEEDED', hoursAgo: 1, eventType: 'A' },
        { status: 'FAILED', hoursAgo: 2, eventType: 'B' },
        { status: 'FAILED', hoursAgo: 50, eventType: 'B' },
        { status: 'ACTIVE', hoursAgo: 0.5, attempts: 1, eventType: 'C' },
      ],
    });
    const log = await caller.insights.dispatchLog({ webhookId: webhook.id });
    expect(log.items.map((item) => item.eventType)).toEqual(['C', 'A', 'B', 'B']);
    // Where each stands: the queued one waits for its retry, the finished ones are out of the queue.
    expect(log.items.map((item) => item.queueState)).toEqual(['SCHEDULED', null, null, null]);
    expect(log.items[0]?.nextAttemptAt).not.toBeNull();
    expect((await caller.insights.dispatchLog({ status: 'FAILED' })).total).toBe(2);
    expect((await caller.insights.dispatchLog({ eventType: 'A' })).total).toBe(1);
    const since = new Date(Date.now() - 24 * HOUR).toISOString();
    expect((await caller.insights.dispatchLog({ status: 'FAILED', since })).total).toBe(1);
  });

  test('the request preview renders templates with the delivery code and reports template errors', async ({
    api,
  }) => {
    const caller = await callerFor(api, api.admin.token);
    const preview = await caller.insights.previewRequest({
      requestUrl: 'https://example.com/hook',
      eventType: 'ACTOR.RUN.SUCCEEDED',
      payloadTemplate: '{"type": {{eventType}}, "run": {{resource.id}}}',
      headers: { 'X-Team': 'billing' },
      properties: { source: 'preview' },
    });
    expect(JSON.parse(preview.body)).toEqual({
      type: 'ACTOR.RUN.SUCCEEDED',
      run: 'TEST_ACTOR_RUN_ID',
      source: 'preview',
    });
    expect(preview.headers['X-Team']).toBe('billing');
    expect(preview.headers['webhook-signature']).toMatch(/^v1,/);
    expect(preview.error).toBeNull();
    const broken = await caller.insights.previewRequest({ payloadTemplate: '{"a": {{eventType}' });
    expect(broken.error).toMatch(/payloadTemplate/);
    expect(broken.body).toBe('');
  });

  test("a dispatch's request is rendered from its event's data, while it waits and once it is done", async ({
    api,
  }) => {
    const caller = await callerFor(api, api.admin.token);
    const created = await api.request('POST', '/v2/webhooks', {
      body: webhookInput({ payloadTemplate: '{"run": {{eventData.actorRunId}}, "type": {{eventType}}}' }),
    });
    expect(created.statusCode).toBe(201);
    const published = await api.request('POST', '/v2/events', {
      body: {
        eventType: 'ACTOR.RUN.SUCCEEDED',
        eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'run-42' },
      },
    });
    expect(published.statusCode).toBe(201);
    // No worker runs: the dispatch waits in the queue, and keeps no copy of the event's data.
    const [waiting] = await api.prisma.dispatchQueue.findMany();
    expect(waiting?.eventData).toBeNull();
    const rendered = await caller.insights.dispatchRequest({ dispatchId: waiting?.id as string });
    expect(JSON.parse(rendered.body)).toEqual({ run: 'run-42', type: 'ACTOR.RUN.SUCCEEDED' });
    // Finished, in history (as the record statement moves it), the same.
    await api.prisma.dispatchQueue.delete({ where: { id: waiting?.id as string } });
    const {
      state: _state,
      fairKey: _fairKey,
      runAt: _runAt,
      leasedBy: _leasedBy,
      leasedAt: _leasedAt,
      leaseExpiresAt: _leaseExpiresAt,
      hostKey: _hostKey,
      pacedSlot: _pacedSlot,
      isProbe: _isProbe,
      roundStartAttempt: _roundStartAttempt,
      ...row
    } = waiting as NonNullable<typeof waiting>;
    await api.prisma.dispatch.create({
      data: {
        ...row,
        eventData: undefined,
        resource: undefined,
        status: 'SUCCEEDED',
        attemptCount: 1,
        finishedAt: new Date(),
      },
    });
    const again = await caller.insights.dispatchRequest({ dispatchId: row.id });
    expect(JSON.parse(again.body)).toEqual({ run: 'run-42', type: 'ACTOR.RUN.SUCCEEDED' });
    // Another user's is not found.
    const bob = await api.createUser('bob');
    await expect(
      (await callerFor(api, bob.token)).insights.dispatchRequest({ dispatchId: row.id }),
    ).rejects.toThrow(/not found/i);
  });

  test('the installation overview is for admins only', async ({ api }) => {
    const caller = await callerFor(api, api.admin.token);
    const webhook = await caller.webhooks.create(webhookInput());
    await seedDispatches(api, {
      userId: api.admin.id,
      webhookId: webhook.id,
      rows: [
        { status: 'ACTIVE', hoursAgo: 0 },
        { status: 'FAILED', hoursAgo: 0 },
        { status: 'SUCCEEDED', hoursAgo: 0 },
      ],
    });
    const overview = await caller.admin.overview();
    expect(overview).toMatchObject({ queueDepth: 1, failureRate1h: 0.5, users: 1, webhooks: 1 });
    const bob = await api.createUser('bob');
    await expect((await callerFor(api, bob.token)).admin.overview()).rejects.toThrow(/administrator/);
  });
});
