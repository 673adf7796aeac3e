import { ApifyClient } from 'apify-client';
import { describe, expect, test } from '../app-fixtures.ts';

describe('apify-client against Ricochet', () => {
  test('creates, lists (also by async iteration), gets, updates and deletes webhooks', async ({ api }) => {
    const baseUrl = await api.listen();
    const client = new ApifyClient({ baseUrl, token: api.admin.token, maxRetries: 0 });

    const created = await client.webhooks().create({
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: 'https://example.com/hook',
      condition: { actorId: 'hksJZtadYvn4mBuin' },
      // Over 1 KB, so apify-client sends the body brotli-compressed.
      description: 'd'.repeat(1500),
      idempotencyKey: 'apify-client-key',
    });
    expect(created.id).toMatch(/^[A-Za-z0-9]{17}$/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.description).toHaveLength(1500);
    const again = await client.webhooks().create({
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: 'https://example.com/hook',
      idempotencyKey: 'apify-client-key',
    });
    expect(again.id).toBe(created.id);

    for (let index = 0; index < 6; index++) {
      await client
        .webhooks()
        .create({ eventTypes: ['ACTOR.BUILD.FAILED'], requestUrl: `https://example.com/${index}` });
    }
    const firstPage = await client.webhooks().list({ limit: 2, offset: 1, desc: true });
    expect(firstPage).toMatchObject({ total: 7, offset: 1, limit: 2, count: 2, desc: true });

    const iterated: string[] = [];
    for await (const webhook of client.webhooks().list()) iterated.push(webhook.id);
    expect(iterated).toHaveLength(7);
    expect(new Set(iterated).size).toBe(7);
    expect(iterated[0]).toBe(created.id);

    const ofActor = await client.actor('hksJZtadYvn4mBuin').webhooks().list();
    expect(ofActor.items.map((webhook) => webhook.id)).toEqual([created.id]);

    const fetched = await client.webhook(created.id).get();
    expect(fetched?.requestUrl).toBe('https://example.com/hook');
    const updated = await client.webhook(created.id).update({ description: 'short', doNotRetry: true });
    expect(updated).toMatchObject({
      description: 'short',
      doNotRetry: true,
      requestUrl: 'https://example.com/hook',
    });

    await client.webhook(created.id).delete();
    expect(await client.webhook(created.id).get()).toBeUndefined();
    expect(await client.webhook('XXXXXXXXXXXXXXXXX').get()).toBeUndefined();
  });

  test('async iteration walks every page past the 1000-item page limit', async ({ api }) => {
    const baseUrl = await api.listen();
    const client = new ApifyClient({ baseUrl, token: api.admin.token, maxRetries: 0 });
    const start = Date.now();
    await api.prisma.webhook.createMany({
      data: Array.from({ length: 1205 }, (_, index) => ({
        id: `bulk${String(index).padStart(13, '0')}`,
        userId: api.admin.id,
        eventTypes: ['ACTOR.RUN.SUCCEEDED'],
        requestUrl: `https://example.com/${index}`,
        createdAt: new Date(start + index),
      })),
    });
    const firstPage = await client.webhooks().list();
    expect(firstPage).toMatchObject({ total: 1205, count: 1000, limit: 1000 });
    const seen: string[] = [];
    for await (const webhook of client.webhooks().list({ offset: 100 })) seen.push(webhook.id);
    expect(seen).toHaveLength(1105);
    expect(seen[0]).toBe('bulk0000000000100');
    expect(seen.at(-1)).toBe('bulk0000000001204');
  });

  test('surfaces Ricochet errors as ApifyApiError with the type', async ({ api }) => {
    const baseUrl = await api.listen();
    const client = new ApifyClient({ baseUrl, token: api.admin.token, maxRetries: 0 });
    await expect(
      client.webhooks().create({ eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: 'not a url' }),
    ).rejects.toMatchObject({
      statusCode: 400,
      type: 'invalid-input',
    });
    const stranger = new ApifyClient({ baseUrl, token: 'ricochet_api_nope', maxRetries: 0 });
    await expect(stranger.webhooks().list()).rejects.toMatchObject({
      statusCode: 401,
      type: 'token-not-valid',
    });
  });
});
