import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll } from 'vitest';
import { type Sql, sqlFor } from '../../src/db/sql.ts';
import { readDeliveryHealth } from '../../src/queue/index.ts';
import { startTelemetry, type Telemetry } from '../../src/telemetry/sdk.ts';
import { setTracingEnabled } from '../../src/telemetry/trace-context.ts';
import { describe, expect, respond, test } from '../delivery-fixtures.ts';
import { startOtlpReceiver } from '../telemetry-fixtures.ts';

// OTLP's span kinds are the API's plus one (0 is UNSPECIFIED).
const OTLP_KIND = (kind: SpanKind) => kind + 1;

describe('OpenTelemetry: traces and metrics to a real OTLP/HTTP collector', () => {
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let telemetry: Telemetry;
  /** The database the delivery health gauges read: the running test's. */
  let figuresFrom: Sql | undefined;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    telemetry = startTelemetry(
      { endpoint: otlp.url, serviceName: 'ricochet-test', sampleRatio: 1, metricIntervalMs: 200 },
      async () =>
        figuresFrom
          ? readDeliveryHealth(figuresFrom)
          : {
              dueDispatches: 0,
              oldestDueAgeSeconds: 0,
              inFlightByHost: [],
              failingWebhooks: 0,
              disabledWebhooks: 0,
            },
    );
  });
  afterAll(async () => {
    await telemetry?.shutdown();
    await otlp?.close();
  });

  test('one trace per event: publish → claim → attempt, and the receiver gets its traceparent unless switched off', async ({
    delivery,
  }) => {
    const traced = await delivery.receiver();
    const untraced = await delivery.receiver();
    const withHeader = await delivery.webhook({ requestUrl: traced.url });
    const withoutHeader = await delivery.webhook({ requestUrl: untraced.url, propagateTraceContext: false });
    expect(withoutHeader.propagateTraceContext).toBe(false);
    const event = await delivery.publish({
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'JgwXN9BdwxGcu9MMF' },
    });
    expect(event.dispatchCount).toBe(2);
    await delivery.worker().runOnce();
    await telemetry.flush();
    const attempts = () => otlp.spans.filter((span) => span.name === 'ricochet.attempt');
    await expect.poll(() => attempts().length).toBe(2);

    const publish = otlp.spans.find(
      (span) => span.name === 'ricochet.publish' && span.attributes['ricochet.event_id'] === event.id,
    );
    expect(publish).toMatchObject({
      parentSpanId: undefined,
      kind: OTLP_KIND(SpanKind.PRODUCER),
      serviceName: 'ricochet-test',
      attributes: {
        'ricochet.dispatches': 2,
        'ricochet.events': 1,
        'ricochet.event_type': 'ACTOR.RUN.SUCCEEDED',
      },
    });
    if (!publish) throw new Error('no publish span');
    // The batch's claim span in this event's trace: one for both of its dispatches.
    const claims = otlp.spans.filter(
      (span) => span.traceId === publish.traceId && span.name === 'ricochet.claim',
    );
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({ parentSpanId: publish.spanId, attributes: { 'ricochet.claimed': 2 } });

    for (const attempt of attempts()) {
      expect(attempt.traceId).toBe(publish.traceId);
      expect(attempt.parentSpanId).toBe(claims[0]?.spanId);
      expect(attempt).toMatchObject({
        kind: OTLP_KIND(SpanKind.CLIENT),
        attributes: {
          'server.address': '127.0.0.1',
          'http.response.status_code': 200,
          'ricochet.outcome': 'succeeded',
          'ricochet.attempt': 1,
        },
      });
    }
    const sent = attempts().find((span) => span.attributes['ricochet.webhook_id'] === withHeader.id);
    expect(sent?.attributes['server.port']).toBe(Number(new URL(traced.url).port));
    expect(traced.received[0]?.headers.traceparent).toBe(`00-${publish.traceId}-${sent?.spanId}-01`);
    expect(untraced.received[0]?.headers.traceparent).toBeUndefined();
  });

  test("a publish that carries the caller's traceparent continues the caller's trace, to the receiver", async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    await delivery.webhook({ requestUrl: receiver.url });
    const callerTrace = 'af7651916cd43dd8448eb211c80319c1';
    const callerSpan = 'b7ad6b7169203331';
    const published = await api.request('POST', '/v2/events', {
      body: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } },
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    expect(published.statusCode).toBe(201);
    await delivery.worker().runOnce();
    await telemetry.flush();
    const eventId = published.json().data.id;
    const publishSpan = () =>
      otlp.spans.find(
        (span) => span.name === 'ricochet.publish' && span.attributes['ricochet.event_id'] === eventId,
      );
    await expect.poll(() => publishSpan()).toBeDefined();
    expect(publishSpan()).toMatchObject({ traceId: callerTrace, parentSpanId: callerSpan });
    await expect
      .poll(() =>
        otlp.spans.filter((span) => span.traceId === callerTrace && span.name === 'ricochet.attempt'),
      )
      .toHaveLength(1);
    expect(receiver.received[0]?.headers.traceparent).toMatch(
      new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`),
    );
  });

  test("an unsampled caller's trace stays unsampled to the receiver; with tracing off no traceparent is stored or sent", async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver();
    const webhook = await delivery.webhook({ requestUrl: receiver.url });
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const published = await api.request('POST', '/v2/events', {
      body: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } },
      headers: { traceparent: `00-${callerTrace}-b7ad6b7169203331-00` },
    });
    expect(published.statusCode).toBe(201);
    await delivery.worker().runOnce();
    await telemetry.flush();
    // The caller chose not to sample: the attempt follows (no span of it anywhere, not a new trace).
    expect(receiver.received[0]?.headers.traceparent).toMatch(
      new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-00$`),
    );
    expect(otlp.spans.filter((span) => span.attributes['ricochet.webhook_id'] === webhook.id)).toEqual([]);

    setTracingEnabled(false);
    try {
      const untraced = await api.request('POST', '/v2/events', {
        body: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } },
        headers: { traceparent: `00-${callerTrace}-b7ad6b7169203331-01` },
      });
      const stored = await api.prisma.event.findFirst({ where: { id: untraced.json().data.id } });
      expect(stored?.traceparent).toBeNull();
      await delivery.worker().runOnce();
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[1]?.headers.traceparent).toBeUndefined();
    } finally {
      setTracingEnabled(true);
    }
  });

  test('a failed attempt is an error span with its status', async ({ delivery }) => {
    const broken = await delivery.receiver(respond(503));
    const webhook = await delivery.webhook({ requestUrl: broken.url, doNotRetry: true });
    await delivery.publish({ eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'hksJZtadYvn4mBuin' } });
    await delivery.worker().runOnce();
    await telemetry.flush();
    const failed = () =>
      otlp.spans.find(
        (span) => span.name === 'ricochet.attempt' && span.attributes['ricochet.webhook_id'] === webhook.id,
      );
    await expect.poll(() => failed()).toBeDefined();
    expect(failed()).toMatchObject({
      attributes: { 'http.response.status_code': 503, 'ricochet.outcome': 'failed' },
      status: { code: 2, message: 'HTTP 503' },
    });
  });

  test('metrics: queue depth, the oldest due dispatch, calls in flight per host, failing and disabled webhooks', async ({
    api,
    delivery,
  }) => {
    figuresFrom = sqlFor(api.prisma);
    try {
      const held: Array<() => void> = [];
      const hanging = await delivery.receiver(async (_request, response) => {
        await new Promise<void>((resolve) => held.push(resolve));
        response.writeHead(204).end();
      });
      await delivery.webhook({ requestUrl: hanging.url });
      for (let index = 0; index < 3; index++) {
        await delivery.publish({
          eventType: 'ACTOR.RUN.SUCCEEDED',
          eventData: { actorId: 'hksJZtadYvn4mBuin' },
        });
      }
      await expect.poll(() => otlp.latest('ricochet.queue.due'), { timeout: 30_000 }).toBe(3);
      expect(otlp.latest('ricochet.queue.oldest_due_age')).toBeGreaterThan(0);
      const worker = delivery.worker();
      const running = worker.runOnce();
      const host = new URL(hanging.url).host;
      await expect
        .poll(() => otlp.latest('ricochet.host.calls_in_flight', { 'server.address': host }), {
          timeout: 30_000,
        })
        .toBe(3);
      await expect.poll(() => otlp.latest('ricochet.queue.due'), { timeout: 30_000 }).toBe(0);
      for (const release of held) release();
      await expect.poll(() => held.length, { timeout: 30_000 }).toBe(3);
      for (const release of held) release();
      await running;

      await api.prisma.webhook.updateMany({ data: { failingSince: new Date() } });
      await expect.poll(() => otlp.latest('ricochet.webhooks.failing'), { timeout: 30_000 }).toBe(1);
      await api.prisma.webhook.updateMany({ data: { state: 'TOO_MANY_ERRORS' } });
      await expect.poll(() => otlp.latest('ricochet.webhooks.disabled'), { timeout: 30_000 }).toBe(1);
    } finally {
      figuresFrom = undefined;
    }
  });
});
