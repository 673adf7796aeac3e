import {
  DISPATCH_CALLS_LIMIT,
  LIST_CALLS_PER_DISPATCH,
  LIST_ITEM_MAX_BYTES,
  LIST_PAGE_MAX_BYTES,
} from '@ricochet/schema';
import { describe, expect, type TestApi, test, webhookInput } from '../app-fixtures.ts';

/** Dispatches of one webhook written straight to the database, with `calls` calls each. */
async function seedDispatches(
  api: TestApi,
  args: { count: number; calls: number; eventDataBytes: number; bodyBytes: number },
) {
  const webhook = (await api.request('POST', '/v2/webhooks', { body: webhookInput() })).json().data;
  // A second apart, from a day ago: recent history (within the retention, in a week partition).
  const base = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
  const dispatches = Array.from({ length: args.count }, (_, index) => ({
    id: `SeedDispatch${String(index).padStart(5, '0')}`,
    userId: api.admin.id,
    webhookId: webhook.id,
    eventType: 'ACTOR.RUN.SUCCEEDED',
    eventData: { actorId: 'hksJZtadYvn4mBuin', blob: 'e'.repeat(args.eventDataBytes) },
    status: 'FAILED' as const,
    attemptCount: args.calls,
    createdAt: new Date(base + index * 1000),
    finishedAt: new Date(base + index * 1000),
  }));
  await api.prisma.dispatch.createMany({ data: dispatches });
  await api.prisma.dispatchCall.createMany({
    data: dispatches.flatMap((dispatch) =>
      Array.from({ length: args.calls }, (_, attempt) => ({
        dispatchId: dispatch.id,
        webhookId: webhook.id,
        attempt: attempt + 1,
        startedAt: dispatch.createdAt,
        finishedAt: dispatch.createdAt,
        outcome: 'failed',
        responseStatus: 500 + (attempt % 3),
        responseBody: `${attempt + 1}:${'r'.repeat(args.bodyBytes)}`,
      })),
    ),
  });
  return { webhookId: webhook.id as string, ids: dispatches.map((dispatch) => dispatch.id) };
}

describe('lists are bounded by bytes, whatever their rows hold', () => {
  test('a page stops at LIST_PAGE_MAX_BYTES and the next one starts at offset + count', async ({ api }) => {
    // 100 dispatches of ~60 KB each: 6 MB, more than one page may carry.
    const { ids } = await seedDispatches(api, {
      count: 100,
      calls: 1,
      eventDataBytes: 60_000,
      bodyBytes: 10,
    });
    const first = await api.request('GET', '/v2/webhook-dispatches?limit=1000');
    expect(first.statusCode).toBe(200);
    expect(first.rawPayload.length).toBeLessThanOrEqual(LIST_PAGE_MAX_BYTES + 1_000);
    const page = first.json().data;
    expect(page).toMatchObject({ total: 100, offset: 0, limit: 1000 });
    expect(page.count).toBe(page.items.length);
    expect(page.count).toBeGreaterThan(50);
    expect(page.count).toBeLessThan(100);
    // Whole items: under LIST_ITEM_MAX_BYTES nothing is left out.
    expect(page.items[0].abridged).toBeUndefined();
    expect(page.items[0].eventData.blob).toHaveLength(60_000);

    const seen: string[] = [];
    for (let offset = 0; offset < 100; ) {
      const next = (await api.request('GET', `/v2/webhook-dispatches?limit=1000&offset=${offset}`)).json()
        .data;
      seen.push(...next.items.map((item: { id: string }) => item.id));
      offset += next.count;
    }
    expect(seen).toEqual(ids);
    // A small limit is still a limit.
    expect((await api.request('GET', '/v2/webhook-dispatches?limit=3')).json().data.count).toBe(3);
  });

  test('a dispatch too large for a list is abridged, and says what was left out and where the rest is', async ({
    api,
  }) => {
    const { ids } = await seedDispatches(api, {
      count: 2,
      calls: 30,
      eventDataBytes: 100_000,
      bodyBytes: 9_000,
    });
    const [item] = (await api.request('GET', '/v2/webhook-dispatches?limit=1')).json().data.items;
    expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThanOrEqual(LIST_ITEM_MAX_BYTES);
    expect(item.abridged).toEqual({
      omitted: ['earlierCalls', 'responseBodies', 'eventData'],
      detailPath: `/v2/webhook-dispatches/${ids[0]}`,
    });
    expect(item.eventData).toBeNull();
    // The latest calls, oldest first, with everything but their bodies.
    expect(item.calls).toHaveLength(LIST_CALLS_PER_DISPATCH);
    expect(item.calls.map((call: { responseStatus: number }) => call.responseStatus)[0]).toBe(500 + (5 % 3));
    expect(item.calls.every((call: { responseBody: unknown }) => call.responseBody === null)).toBe(true);
    expect(item.attemptCount).toBe(30);

    // The link: the whole dispatch, every call with its body.
    const whole = await api.request('GET', item.abridged.detailPath);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toMatch(/^application\/json/);
    const dispatch = whole.json().data;
    expect(dispatch.abridged).toBeUndefined();
    expect(dispatch.calls).toHaveLength(30);
    expect(dispatch.calls.map((call: { responseBody: string }) => call.responseBody.split(':')[0])).toEqual(
      Array.from({ length: 30 }, (_, index) => String(index + 1)),
    );
    expect(dispatch.eventData.blob).toHaveLength(100_000);
    const { calls: _calls, abridged: _abridged, ...listed } = item;
    const { calls: _wholeCalls, ...head } = dispatch;
    expect({ ...head, eventData: null }).toEqual(listed);
    // A missing one is still the 404 envelope, streamed or not.
    const missing = await api.request('GET', '/v2/webhook-dispatches/XXXXXXXXXXXXXXXXX');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.type).toBe('record-not-found');
  });

  test('tRPC and the actions answer a dispatch with its latest calls; the dashboard pages through them', async ({
    api,
  }) => {
    const calls = DISPATCH_CALLS_LIMIT + 20;
    const { ids } = await seedDispatches(api, { count: 1, calls, eventDataBytes: 10, bodyBytes: 10 });
    const id = ids[0] as string;
    const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));
    const viaTrpc = (
      await api.request('GET', `/trpc/dispatches.get?input=${input({ dispatchId: id })}`)
    ).json().result.data;
    expect(viaTrpc.calls).toHaveLength(DISPATCH_CALLS_LIMIT);
    expect(viaTrpc.abridged).toEqual({
      omitted: ['earlierCalls'],
      detailPath: `/v2/webhook-dispatches/${id}`,
    });
    expect(viaTrpc.calls.at(-1).responseBody).toBe(`${calls}:${'r'.repeat(10)}`);
    const redelivered = (await api.request('POST', `/v2/webhook-dispatches/${id}/redeliver`)).json().data;
    expect(redelivered.calls).toHaveLength(DISPATCH_CALLS_LIMIT);

    const latest = (
      await api.request('GET', `/trpc/insights.dispatch?input=${input({ dispatchId: id })}`)
    ).json().result.data;
    expect(latest.calls.map((call: { attempt: number }) => call.attempt)).toEqual(
      Array.from({ length: 20 }, (_, index) => calls - 19 + index),
    );
    expect(latest.abridged.omitted).toEqual(['earlierCalls']);
    const older = (
      await api.request('GET', `/trpc/insights.dispatch?input=${input({ dispatchId: id, callsBefore: 3 })}`)
    ).json().result.data;
    expect(older.calls.map((call: { attempt: number }) => call.attempt)).toEqual([1, 2]);
    expect(older.abridged).toBeUndefined();
  });

  test("a task's webhook list (whole webhooks, templates included) is bounded too", async ({ api }) => {
    const payloadTemplate = JSON.stringify({ text: 'p'.repeat(99_000) });
    const big = webhookInput({
      condition: { actorTaskId: 'bigTask' },
      payloadTemplate,
      properties: { blob: 'q'.repeat(60_000) },
      headers: Object.fromEntries(
        Array.from({ length: 50 }, (_, index) => [`X-H${index}`, 'h'.repeat(4_000)]),
      ),
    });
    for (let index = 0; index < 15; index++) {
      expect((await api.request('POST', '/v2/webhooks', { body: big })).statusCode).toBe(201);
    }
    const answer = await api.request('GET', '/v2/actor-tasks/bigTask/webhooks?limit=1000');
    expect(answer.rawPayload.length).toBeLessThanOrEqual(LIST_PAGE_MAX_BYTES + 1_000);
    const page = answer.json().data;
    expect(page.total).toBe(15);
    expect(page.count).toBeLessThan(15);
    expect(page.items[0].payloadTemplate).toHaveLength(payloadTemplate.length);
    // The short list of the same webhooks carries no templates: all of them fit.
    expect((await api.request('GET', '/v2/webhooks?limit=1000')).json().data.count).toBe(15);
  });
});
