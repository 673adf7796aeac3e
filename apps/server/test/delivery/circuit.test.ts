import type { Behaviour } from '@ricochet/testkit';
import { describe, expect, respond, test } from '../delivery-fixtures.ts';
import { findDispatches } from '../dispatch-rows.ts';

const EVENT = { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } };
/** Accepts the connection and closes it without a word: a call that gets no response. */
const hangUp: Behaviour = (_request, response) => {
  response.socket?.destroy();
};

describe('a persistently failing endpoint is not hammered', () => {
  test('calls without a response open the circuit: dispatches wait, one probe goes, an answer closes it', async ({
    api,
    delivery,
  }) => {
    let behaviour: Behaviour = hangUp;
    const receiver = await delivery.receiver((request, response) => behaviour(request, response));
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    const worker = delivery.worker({
      // A probe delay no loaded machine outlasts between two steps: the test moves the probe's time
      // itself (probeIsDue) where it wants one, so "nothing goes while open" cannot race the clock.
      settings: { circuit: { failureThreshold: 3, probeDelayMs: 60_000, maxProbeDelayMs: 3_600_000 } },
    });
    const probeIsDue = () =>
      api.prisma.$executeRaw`UPDATE "Webhook" SET "circuitProbeAt" = now() WHERE "id" = ${webhook.id}`;
    const circuitOf = async () =>
      (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data.circuit;
    expect(await circuitOf()).toMatchObject({ state: 'CLOSED', openedAt: null, callsWithoutResponse: null });

    for (let index = 0; index < 3; index++) await delivery.publish(EVENT);
    expect(await worker.runOnce()).toBe(3);
    const opened = await circuitOf();
    expect(opened).toMatchObject({ state: 'OPEN', failedProbes: 0, callsWithoutResponse: 3 });
    expect(opened.lastError).toMatch(/closed before the response|reset|socket/i);
    expect(Date.parse(opened.nextProbeAt)).toBeGreaterThan(Date.parse(opened.openedAt));

    // New dispatches wait (HELD) and are not sent while it is open.
    await delivery.publish(EVENT);
    await delivery.publish(EVENT);
    expect(await worker.runOnce()).toBe(0);
    expect(receiver.received).toHaveLength(3);
    const held = (await findDispatches(api.prisma, { webhookId: webhook.id })).filter(
      (dispatch) => dispatch.queueState === 'HELD',
    );
    expect(held).toHaveLength(2);

    // Once the probe is due, exactly one call goes; it gets no response either: the next probe waits longer.
    await probeIsDue();
    const deliverAndCount = async () => {
      await worker.runOnce();
      return receiver.received.length;
    };
    await expect.poll(deliverAndCount, { timeout: 30_000 }).toBe(4);
    const stillOpen = await circuitOf();
    expect(stillOpen).toMatchObject({ state: 'OPEN', failedProbes: 1, callsWithoutResponse: 4 });
    // Twice the delay after a failed probe (the clock has not been moved for this one).
    expect(Date.parse(stillOpen.nextProbeAt) - Date.now()).toBeGreaterThan(60_000);
    expect(await worker.runOnce()).toBe(0);
    expect(receiver.received).toHaveLength(4);

    // The endpoint answers again: the next probe (the other held dispatch) closes the circuit.
    behaviour = respond(200, 'back');
    await probeIsDue();
    const deliverAndLook = async () => {
      await worker.runOnce();
      return (await circuitOf()).state;
    };
    await expect.poll(deliverAndLook, { timeout: 30_000 }).toBe('CLOSED');
    expect(receiver.received).toHaveLength(5);
    expect(await circuitOf()).toMatchObject({
      state: 'CLOSED',
      openedAt: null,
      nextProbeAt: null,
      failedProbes: 0,
      callsWithoutResponse: null,
    });
    // New dispatches go at once again; those that failed wait for their retry's backoff (a minute).
    await delivery.publish(EVENT);
    expect(await worker.runOnce()).toBe(1);
    expect(receiver.received).toHaveLength(6);
    const dispatches = await findDispatches(api.prisma, { webhookId: webhook.id });
    expect(dispatches.filter((dispatch) => dispatch.status === 'SUCCEEDED')).toHaveLength(2);
    expect(dispatches.filter((dispatch) => dispatch.queueState === 'SCHEDULED')).toHaveLength(4);
  }, 120_000);

  test('an answer that is an error (a 500) is a response: it never opens the circuit', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(500));
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    const worker = delivery.worker({
      settings: { circuit: { failureThreshold: 2, probeDelayMs: 300, maxProbeDelayMs: 60_000 } },
    });
    for (let index = 0; index < 4; index++) await delivery.publish(EVENT);
    expect(await worker.runOnce()).toBe(4);
    expect((await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data.circuit.state).toBe('CLOSED');
  });

  test('switching the webhook back on closes an open circuit', async ({ api, delivery }) => {
    const receiver = await delivery.receiver(hangUp);
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    const worker = delivery.worker({
      settings: { circuit: { failureThreshold: 2, probeDelayMs: 3_600_000, maxProbeDelayMs: 3_600_000 } },
    });
    for (let index = 0; index < 2; index++) await delivery.publish(EVENT);
    await worker.runOnce();
    expect((await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data.circuit.state).toBe('OPEN');
    await delivery.publish(EVENT);
    expect(await worker.runOnce()).toBe(0);
    receiver.queue(respond(200));
    const resumed = await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { state: 'ACTIVE' } });
    expect(resumed.json().data.circuit.state).toBe('CLOSED');
    expect(await worker.runOnce()).toBe(1);
    expect(receiver.received).toHaveLength(3);
  });
});
