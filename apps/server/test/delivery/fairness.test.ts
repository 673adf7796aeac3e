import { describe, expect, respond, test } from '../delivery-fixtures.ts';
import { countDispatches, findDispatches } from '../dispatch-rows.ts';

const EVENT = { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } };

describe('no customer can stall the others', () => {
  test("while one host hangs with more dispatches than its slots, another host's dispatch goes before the first timeout", async ({
    api,
    delivery,
  }) => {
    // A receiver that accepts connections and never answers, and another customer's that answers.
    const hanging = await delivery.receiver(() => undefined);
    const healthy = await delivery.receiver(respond(204));
    const other = await api.createUser('other');
    const hangingHook = await delivery.webhook({ requestUrl: `${hanging.url}/hang` });
    for (let index = 0; index < 30; index++) await delivery.publish(EVENT);
    const created = await api.request('POST', '/v2/webhooks', {
      token: other.token,
      body: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: `${healthy.url}/ok` },
    });
    expect(created.statusCode).toBe(201);

    // The default bound (10 calls per host) and a timeout the test never reaches.
    const worker = delivery.worker({
      listen: true,
      settings: {
        concurrency: 100,
        maxConcurrentPerHost: 10,
        attemptTimeoutMs: 120_000,
        pollIntervalMs: 100,
      },
    });
    await worker.start();
    await hanging.waitFor(10);
    const published = await api.request('POST', '/v2/events', { token: other.token, body: EVENT });
    expect(published.statusCode).toBe(201);

    await healthy.waitFor(1);
    // Delivered while every call to the hanging host is still open (none has timed out, none was
    // recorded), with exactly as many calls open there as the bound allows...
    expect(hanging.received).toHaveLength(10);
    expect(await api.prisma.dispatchCall.count({ where: { webhookId: hangingHook.id } })).toBe(0);
    // ...and the rest of its backlog claimed by no one: waiting for the host, not holding slots.
    const queued = await findDispatches(api.prisma, { webhookId: hangingHook.id });
    const inState = (state: string) => queued.filter((dispatch) => dispatch.queueState === state).length;
    expect(inState('LEASED')).toBe(10);
    expect(inState('HOST_WAIT') + inState('READY')).toBe(20);
    await hanging.close();
  }, 120_000);

  test("while one user has a 100,000-dispatch backlog, another user's new event is claimed within the next claims", async ({
    api,
    delivery,
  }) => {
    const busy = await delivery.receiver(respond(204));
    const quiet = await delivery.receiver(respond(204));
    // 100 webhooks × a batch of 1,000 events: 100,000 dispatches queued by one request.
    for (let index = 0; index < 100; index++)
      await delivery.webhook({ requestUrl: `${busy.url}/hook/${index}` });
    const batch = await api.request('POST', '/v2/events/batch', {
      body: {
        events: Array.from({ length: 1000 }, (_, index) => ({
          ...EVENT,
          eventData: { ...EVENT.eventData, index },
        })),
      },
    });
    expect(batch.statusCode).toBe(201);
    expect(await countDispatches(api.prisma, { status: 'ACTIVE' })).toBe(100_000);

    const other = await api.createUser('other');
    await api.request('POST', '/v2/webhooks', {
      token: other.token,
      body: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: `${quiet.url}/hook` },
    });
    expect((await api.request('POST', '/v2/events', { token: other.token, body: EVENT })).statusCode).toBe(
      201,
    );

    const worker = delivery.worker({
      settings: { batchSize: 50, concurrency: 50, maxConcurrentPerHost: 1000 },
    });
    let claims = 0;
    while (quiet.received.length === 0 && claims < 10) {
      await worker.runOnce();
      claims++;
    }
    // The other user's dispatch starts at the front of the queue: the very next claim takes it.
    expect(quiet.received).toHaveLength(1);
    expect(claims).toBe(1);
    // The busy user's webhooks are served in turn, not one webhook's backlog first: the first 100
    // calls of its batch went to 100 different webhooks.
    await worker.runOnce();
    const firstHundred = busy.received.slice(0, 100).map((request) => request.url);
    expect(new Set(firstHundred).size).toBe(Math.min(100, busy.received.length));
  }, 300_000);
});
