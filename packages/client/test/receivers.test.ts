import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningRicochet, respond, startReceiver, startServer } from '@ricochet/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../examples/express.ts';
import { POST } from '../examples/next-route.ts';
import { createReceiver } from '../examples/node-http.ts';
import { createRicochetClient, parseOperationalEvent, type RicochetClient } from '../src/index.ts';
import { waitUntil } from './helpers.ts';

// Real deliveries from Ricochet's worker, received by the README's examples.
let server: RunningRicochet;
let client: RicochetClient;
const SECRET = `whsec_${Buffer.from('the receivers share this key').toString('base64')}`;

beforeAll(async () => {
  server = await startServer();
  client = createRicochetClient({ baseUrl: server.baseUrl, token: server.token });
  await client.eventTypes.create({ name: 'parcel.delivered' });
});
afterAll(() => server?.stop());

async function listen(running: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => running.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(running.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        running.closeAllConnections();
        running.close(() => resolve());
      }),
  };
}

/** A webhook to `url` with our secret; publishes one event and waits for its dispatch to finish. */
async function deliverOnce(url: string, eventData: Record<string, unknown>) {
  const webhook = await client.webhooks.create({
    eventTypes: ['parcel.delivered'],
    requestUrl: url,
    secret: SECRET,
  });
  await client.events.publish({ eventType: 'parcel.delivered', eventData });
  const { items } = await client.webhooks.dispatches(webhook.id);
  const dispatch = await waitUntil(
    () => client.dispatches.get(items[0]?.id as string),
    (found) => found.status !== 'ACTIVE',
  );
  await client.webhooks.delete(webhook.id);
  return dispatch;
}

describe('receivers from the README, fed by a real Ricochet worker', () => {
  test('operational events reach a subscribed webhook, verified, and parse typed', async () => {
    const payloads: unknown[] = [];
    const receiver = await listen(createReceiver(SECRET, (payload) => payloads.push(payload)));
    try {
      const subscriber = await client.webhooks.create({
        eventTypes: ['ricochet.webhook.created', 'ricochet.webhook.deleted'],
        requestUrl: `${receiver.url}/hook`,
        secret: SECRET,
      });
      const other = await client.webhooks.create({
        eventTypes: ['parcel.delivered'],
        requestUrl: 'https://example.com/unused',
        description: 'watched',
      });
      await client.webhooks.delete(other.id);
      await waitUntil(
        async () => payloads.length,
        (count) => count >= 3,
      );
      const events = payloads.map(parseOperationalEvent);
      const about = (id: string) =>
        events
          .filter((event) => event && 'webhookId' in event.eventData && event.eventData.webhookId === id)
          .map((event) => event?.eventType);
      expect(about(subscriber.id)).toEqual(['ricochet.webhook.created']);
      expect(about(other.id).sort()).toEqual(['ricochet.webhook.created', 'ricochet.webhook.deleted']);
      const deleted = events.find((event) => event?.eventType === 'ricochet.webhook.deleted');
      // Narrowed by its eventType: the deleted webhook's fields are typed.
      if (deleted?.eventType !== 'ricochet.webhook.deleted') throw new Error('no deleted event');
      expect(deleted.eventData).toMatchObject({
        requestUrl: 'https://example.com/unused',
        description: 'watched',
      });
      // The subscriber's own page keeps its creation among its notifications.
      const { items } = await client.webhooks.notifications(subscriber.id, { limit: 5 });
      expect(items.map((item) => item.eventType)).toEqual(['ricochet.webhook.created']);
      expect(parseOperationalEvent({ eventType: 'parcel.delivered', eventData: {} })).toBeNull();
      expect(() => parseOperationalEvent({ eventType: 'ricochet.webhook.deleted', eventData: {} })).toThrow();
      await client.webhooks.delete(subscriber.id);
    } finally {
      await receiver.close();
    }
  });

  test('plain node:http accepts a real delivery and refuses a tampered one', async () => {
    const payloads: unknown[] = [];
    const receiver = await listen(createReceiver(SECRET, (payload) => payloads.push(payload)));
    try {
      const dispatch = await deliverOnce(`${receiver.url}/hook`, { parcel: 'P-1' });
      expect(dispatch).toMatchObject({ status: 'SUCCEEDED', calls: [{ responseStatus: 204 }] });
      expect(payloads).toEqual([
        expect.objectContaining({ eventType: 'parcel.delivered', eventData: { parcel: 'P-1' } }),
      ]);

      const forged = await fetch(`${receiver.url}/hook`, {
        method: 'POST',
        headers: {
          'webhook-id': 'x',
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': 'v1,AAAA',
        },
        body: '{"eventType":"parcel.delivered"}',
      });
      expect(forged.status).toBe(400);
      expect(await forged.text()).toBe('no-matching-signature');
    } finally {
      await receiver.close();
    }
  });

  test('Express accepts a real delivery; a wrong secret refuses it', async () => {
    const payloads: unknown[] = [];
    const good = await listen(createServer(createApp(SECRET, (payload) => payloads.push(payload))));
    const wrong = await listen(
      createServer(createApp(`whsec_${Buffer.from('not the secret').toString('base64')}`, () => {})),
    );
    try {
      expect(await deliverOnce(`${good.url}/webhooks/ricochet`, { parcel: 'P-2' })).toMatchObject({
        status: 'SUCCEEDED',
        calls: [{ responseStatus: 204 }],
      });
      expect(payloads).toEqual([expect.objectContaining({ eventData: { parcel: 'P-2' } })]);
      // doNotRetry is not set, so a refused delivery would be retried: look at the first call only.
      const webhook = await client.webhooks.create({
        eventTypes: ['parcel.delivered'],
        requestUrl: `${wrong.url}/webhooks/ricochet`,
        secret: SECRET,
        doNotRetry: true,
      });
      await client.events.publish({ eventType: 'parcel.delivered', eventData: { parcel: 'P-3' } });
      const { items } = await client.webhooks.dispatches(webhook.id);
      const refused = await waitUntil(
        () => client.dispatches.get(items[0]?.id as string),
        (found) => found.status !== 'ACTIVE',
      );
      expect(refused).toMatchObject({
        status: 'FAILED',
        calls: [{ responseStatus: 400, responseBody: 'no-matching-signature' }],
      });
      await client.webhooks.delete(webhook.id);
    } finally {
      await good.close();
      await wrong.close();
    }
  });

  test('the Next.js route handler verifies a real delivery passed in as a Request', async () => {
    // Capture a real delivery, then hand it to the route handler exactly as Next.js would.
    const capture = await startReceiver(respond(200));
    try {
      await deliverOnce(capture.url, { parcel: 'P-4' });
      const [delivery] = capture.received;
      const headers = new Headers();
      for (const [name, value] of Object.entries(delivery?.headers ?? {})) {
        if (typeof value === 'string') headers.set(name, value);
      }
      process.env.RICOCHET_WEBHOOK_SECRET = SECRET;
      const accepted = await POST(
        new Request('http://localhost/api/webhooks/ricochet', {
          method: 'POST',
          headers,
          body: delivery?.body,
        }),
      );
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toEqual({ received: 'parcel.delivered' });
      const tampered = await POST(
        new Request('http://localhost/api/webhooks/ricochet', {
          method: 'POST',
          headers,
          body: delivery?.body.replace('P-4', 'P-5'),
        }),
      );
      expect(tampered.status).toBe(400);
      expect(await tampered.text()).toBe('no-matching-signature');
    } finally {
      delete process.env.RICOCHET_WEBHOOK_SECRET;
      await capture.close();
    }
  });

  test('the README shows these examples as they are tested', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const example of ['node-http.ts', 'express.ts', 'next-route.ts']) {
      const code = readFileSync(new URL(`../examples/${example}`, import.meta.url), 'utf8').trim();
      expect(readme, `README.md should contain examples/${example}`).toContain(code);
    }
  });
});
