import { type Behaviour, type RunningRicochet, respond, startReceiver, startServer } from '@ricochet/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createRicochetClient,
  type Dispatch,
  isRicochetError,
  type RicochetClient,
  RicochetError,
} from '../src/index.ts';
import { recordingFetch, waitUntil } from './helpers.ts';

// The delivery engine's settings and states through the SDK, against a real server with small limits:
// three webhooks per user, two dispatches per request, and a circuit that opens after one call
// without a response (its probe an hour away, so it stays open while the test looks).

/** Closes the connection without a word: a call that gets no response. */
const hangUp: Behaviour = (_request, response) => {
  response.socket?.destroy();
};

let server: RunningRicochet;
let client: RicochetClient;
let answering: Awaited<ReturnType<typeof startReceiver>>;
let hangingUp: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  [server, answering, hangingUp] = await Promise.all([
    startServer({
      MAX_WEBHOOKS_PER_USER: '3',
      MAX_DISPATCHES_PER_REQUEST: '2',
      CIRCUIT_FAILURE_THRESHOLD: '1',
      CIRCUIT_PROBE_DELAY_MS: '3600000',
    }),
    startReceiver(respond(200, 'ok')),
    startReceiver(hangUp),
  ]);
  client = createRicochetClient({ baseUrl: server.baseUrl, token: server.token });
});
afterAll(async () => {
  await server?.stop();
  await answering?.close();
  await hangingUp?.close();
});

describe('rate limits, limits and circuits through the SDK', () => {
  let paced: string;
  let broken: string;

  test('rateLimitPerSecond: set on create, read back by get and list, changed, cleared with null, checked', async () => {
    const created = await client.webhooks.create({
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: `${answering.url}/paced`,
      rateLimitPerSecond: 5,
    });
    paced = created.id;
    expect(created).toMatchObject({
      rateLimitPerSecond: 5,
      circuit: {
        state: 'CLOSED',
        openedAt: null,
        nextProbeAt: null,
        failedProbes: 0,
        callsWithoutResponse: null,
      },
    });
    expect((await client.webhooks.get(paced)).rateLimitPerSecond).toBe(5);
    const listed = (await client.webhooks.list()).items.find((item) => item.id === paced);
    expect(listed).toMatchObject({ rateLimitPerSecond: 5, circuit: { state: 'CLOSED' } });

    expect((await client.webhooks.update(paced, { rateLimitPerSecond: 20 })).rateLimitPerSecond).toBe(20);
    // A partial update that does not name it leaves it alone; null lifts it.
    expect((await client.webhooks.update(paced, { description: 'paced' })).rateLimitPerSecond).toBe(20);
    expect((await client.webhooks.update(paced, { rateLimitPerSecond: null })).rateLimitPerSecond).toBeNull();
    expect((await client.webhooks.get(paced)).rateLimitPerSecond).toBeNull();

    const refused = await client.webhooks.update(paced, { rateLimitPerSecond: 0 }).catch((error) => error);
    expect(refused).toBeInstanceOf(RicochetError);
    expect(refused).toMatchObject({ type: 'invalid-input', status: 400, attempts: 1 });
    expect((refused as RicochetError).message).toMatch(/rateLimitPerSecond.*at least 1 call per second/);
    expect((await client.webhooks.get(paced)).rateLimitPerSecond).toBeNull();
  });

  test('one webhook more than MAX_WEBHOOKS_PER_USER: a 403 too-many-webhooks RicochetError, not retried, nothing created', async () => {
    broken = (
      await client.webhooks.create({
        eventTypes: ['ACTOR.RUN.SUCCEEDED', 'ACTOR.RUN.FAILED'],
        requestUrl: hangingUp.url,
      })
    ).id;
    await client.webhooks.create({
      eventTypes: ['ACTOR.RUN.SUCCEEDED'],
      requestUrl: `${answering.url}/third`,
    });
    const { calls, fetch } = recordingFetch();
    const counting = createRicochetClient({ baseUrl: server.baseUrl, token: server.token, fetch });
    const refused = await counting.webhooks
      .create({ eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: `${answering.url}/fourth` })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RicochetError);
    expect(isRicochetError(refused, 'too-many-webhooks')).toBe(true);
    expect(refused).toMatchObject({ type: 'too-many-webhooks', status: 403, attempts: 1 });
    expect((refused as RicochetError).message).toMatch(/MAX_WEBHOOKS_PER_USER is 3/);
    expect(calls).toHaveLength(1);
    expect((await client.webhooks.list()).total).toBe(3);
  });

  test('a publish that would create more dispatches than one request may: a 413 limit-reached RicochetError, nothing stored', async () => {
    // All three webhooks are subscribed to ACTOR.RUN.SUCCEEDED; one request may create two dispatches.
    const refused = await client.events
      .publish({ eventType: 'ACTOR.RUN.SUCCEEDED', eventData: {} })
      .catch((error: unknown) => error);
    expect(isRicochetError(refused, 'limit-reached')).toBe(true);
    expect(refused).toMatchObject({ status: 413, attempts: 1 });
    expect((await client.dispatches.list()).total).toBe(0);
  });

  test('a receiver that never answers: the circuit shows OPEN on get and list, dispatches say where they stand (queueState)', async () => {
    const finished = (dispatch: Dispatch) => dispatch.status !== 'ACTIVE';
    await client.events.publish({ eventType: 'ACTOR.RUN.FAILED', eventData: { run: 1 } });
    const webhook = await waitUntil(
      () => client.webhooks.get(broken),
      (read) => read.circuit.state === 'OPEN',
    );
    expect(webhook.circuit).toMatchObject({ failedProbes: 0, callsWithoutResponse: 1 });
    expect(webhook.circuit.lastError).toEqual(expect.any(String));
    expect(Date.parse(webhook.circuit.nextProbeAt ?? '')).toBeGreaterThan(
      Date.parse(webhook.circuit.openedAt ?? ''),
    );
    expect((await client.webhooks.list()).items.find((item) => item.id === broken)?.circuit.state).toBe(
      'OPEN',
    );

    // The first dispatch failed its attempt and waits for its retry; the next one is held by the circuit.
    const [first] = (await client.webhooks.dispatches(broken)).items;
    expect(first).toMatchObject({ status: 'ACTIVE', attemptCount: 1, queueState: 'SCHEDULED' });
    await client.events.publish({ eventType: 'ACTOR.RUN.FAILED', eventData: { run: 2 } });
    const second = (await client.webhooks.dispatches(broken, { desc: true, limit: 1 })).items[0] as Dispatch;
    expect(second).toMatchObject({ status: 'ACTIVE', attemptCount: 0, queueState: 'HELD' });
    expect((await client.dispatches.get(second.id)).queueState).toBe('HELD');
    expect(hangingUp.received).toHaveLength(1);

    // Pointing the webhook at a receiver that answers closes the circuit; the held dispatch goes, and a
    // finished dispatch has no queue state.
    const moved = await client.webhooks.update(broken, { requestUrl: `${answering.url}/recovered` });
    expect(moved.circuit).toMatchObject({ state: 'CLOSED', callsWithoutResponse: null });
    const delivered = await waitUntil(() => client.dispatches.get(second.id), finished);
    expect(delivered).toMatchObject({ status: 'SUCCEEDED', queueState: null });
  });
});
