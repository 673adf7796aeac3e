import { describe, expect, test } from '../delivery-fixtures.ts';

describe('templates as Apify documents and renders them, end to end', () => {
  test('globals are accepted on save and delivered; 0, false and "" render as null', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({
      requestUrl: receiver.url,
      payloadTemplate:
        '{"iso": {{globals.dateISO}}, "unix": {{globals.dateUnix}}, "count": {{eventData.count}}, ' +
        '"done": {{eventData.done}}, "note": {{eventData.note}}, "run": "{{eventData.actorRunId}}"}',
      headersTemplate: '{"X-Unix": "{{globals.dateUnix}}"}',
      shouldInterpolateStrings: true,
    });
    expect(webhook.payloadTemplate).toContain('globals.dateISO');
    const event = await delivery.publish({
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'r1', count: 0, done: false, note: '' },
    });
    await delivery.worker().runOnce();

    const stored = (await api.request('GET', `/v2/events/${event.id}`)).json().data;
    const unix = Math.floor(Date.parse(stored.createdAt) / 1000);
    const [call] = receiver.received;
    expect(JSON.parse(call?.body ?? '')).toEqual({
      iso: stored.createdAt,
      unix,
      count: null,
      done: null,
      note: null,
      run: 'r1',
    });
    expect(call?.headers['x-unix']).toBe(String(unix));
  });
});
