import type { ReceivedRequest } from '@ricochet/testkit';
import { sqlFor } from '../../src/db/sql.ts';
import { sweepOrphans } from '../../src/queue/index.ts';
import { hourlyDeliveries } from '../../src/services/webhook-stats.ts';
import { TEST_DB_BACKEND } from '../db-fixtures.ts';
import { describe, expect, respond, test } from '../delivery-fixtures.ts';
import { countDispatches, findDispatch, findDispatches } from '../dispatch-rows.ts';

const RUN_EVENT = {
  eventType: 'ACTOR.RUN.SUCCEEDED',
  eventData: { actorId: 'hksJZtadYvn4mBuin', actorRunId: 'JgwXN9BdwxGcu9MMF' },
};

describe('recording under load', () => {
  test('the database refusing after the receiver answered: the result is recorded once it accepts again, not re-sent', async ({
    api,
    delivery,
  }) => {
    // While refuse_writes has a row, writing a finished dispatch fails, as during a failover.
    await api.prisma.$executeRawUnsafe('CREATE TABLE refuse_writes (since timestamp)');
    await api.prisma.$executeRawUnsafe(`
      CREATE FUNCTION refuse_dispatch_writes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM refuse_writes) THEN
          RAISE EXCEPTION 'the database refuses writes (test)' USING ERRCODE = '57P03';
        END IF;
        RETURN NEW;
      END $$`);
    await api.prisma.$executeRawUnsafe(
      'CREATE TRIGGER refuse BEFORE INSERT ON "Dispatch" FOR EACH ROW EXECUTE FUNCTION refuse_dispatch_writes()',
    );
    const receiver = await delivery.receiver(async (_request, response) => {
      await api.prisma.$executeRawUnsafe('INSERT INTO refuse_writes VALUES (now())');
      response.end('ok');
    });
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    const logLines: string[] = [];
    const delivered = delivery.worker({ logLines }).runOnce();

    await expect
      .poll(() => logLines.filter((line) => line.includes('recording results failed')).length, {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(2);
    await api.prisma.$executeRawUnsafe('DELETE FROM refuse_writes');
    expect(await delivered).toBe(1);

    const dispatch = await findDispatch(api.prisma);
    expect(dispatch.status).toBe('SUCCEEDED');
    expect(dispatch.calls.map((call) => [call.attempt, call.responseStatus, call.outcome])).toEqual([
      [1, 200, 'succeeded'],
    ]);
    expect(receiver.received).toHaveLength(1);
    // Nothing is left to send.
    expect(await delivery.worker().runOnce()).toBe(0);
  }, 90_000);

  test('a worker whose lease lapsed mid-call does not record over the worker that took the dispatch over', async ({
    api,
    delivery,
  }) => {
    let releaseFirst: (() => void) | undefined;
    const receiver = await delivery.receiver(respond(200, 'second worker'));
    receiver.queue((_request, response) => {
      // The first worker's call hangs until the test lets it answer 500.
      releaseFirst = () => {
        response.writeHead(500);
        response.end('first worker, too late');
      };
    });
    await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    const first = delivery.worker().runOnce();
    await receiver.waitFor(1);
    // The first worker's lease lapses (as if it stalled for longer than the lease).
    await api.prisma
      .$executeRaw`UPDATE "DispatchQueue" SET "leaseExpiresAt" = timezone('UTC', now()) - interval '1 second'`;
    expect(await delivery.worker().runOnce()).toBe(1);
    const afterSecond = await findDispatch(api.prisma);
    expect(afterSecond).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2, queueState: null });

    releaseFirst?.();
    expect(await first).toBe(1);
    const dispatch = await findDispatch(api.prisma);
    // Still the second worker's outcome: the late 500 did not reschedule or fail it.
    expect(dispatch).toMatchObject({
      status: 'SUCCEEDED',
      attemptCount: 2,
      finishedAt: afterSecond.finishedAt,
      nextAttemptAt: afterSecond.nextAttemptAt,
    });
    // The late answer is kept on its own call, which moved nothing (no outcome).
    expect(dispatch.calls.map((call) => [call.attempt, call.responseStatus, call.outcome])).toEqual([
      [1, 500, null],
      [2, 200, 'succeeded'],
    ]);
  }, 60_000);
});

describe('publishing under load', () => {
  test('200 concurrent publishes to one webhook all succeed, each with its dispatch', async ({
    api,
    delivery,
  }) => {
    const webhook = await delivery.webhook();
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        api.request('POST', '/v2/events', {
          body: { ...RUN_EVENT, eventData: { ...RUN_EVENT.eventData, index } },
        }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array(200).fill(201));
    expect(responses.every((response) => response.json().data.dispatchCount === 1)).toBe(true);
    expect(await countDispatches(api.prisma, { webhookId: webhook.id })).toBe(200);
    const stats = (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data;
    expect(stats).toMatchObject({ stats: { totalDispatches: 200 }, lastDispatch: { status: 'ACTIVE' } });
  }, 120_000);

  test('concurrent publishes with the same idempotencyKey (sharing statements) store one event and all answer it', async ({
    api,
    delivery,
  }) => {
    await delivery.webhook();
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        api.request('POST', '/v2/events', {
          body: { ...RUN_EVENT, idempotencyKey: `key-${index % 3}` },
        }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array(60).fill(201));
    const ids = responses.map((response) => response.json().data.id as string);
    expect(new Set(ids).size).toBe(3);
    for (let index = 0; index < 60; index++) expect(ids[index]).toBe(ids[index % 3]);
    expect(await api.prisma.event.count()).toBe(3);
    expect(await countDispatches(api.prisma)).toBe(3);
  }, 120_000);

  test('webhook statistics stay right while events are published and delivered at the same time', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver((request: ReceivedRequest, response) => {
      response.writeHead(request.url.startsWith('/bad') ? 500 : 200);
      response.end();
    });
    const good = await delivery.webhook({ requestUrl: `${receiver.url}/good` });
    const bad = await delivery.webhook({ requestUrl: `${receiver.url}/bad`, doNotRetry: true });
    const worker = delivery.worker({
      listen: true,
      settings: { pollIntervalMs: 100, failureThreshold: 1_000, batchSize: 7 },
    });
    await worker.start();
    const events = 60;
    for (let wave = 0; wave < events / 20; wave++) {
      const published = await Promise.all(
        Array.from({ length: 20 }, () => api.request('POST', '/v2/events', { body: RUN_EVENT })),
      );
      expect(published.map((response) => response.statusCode)).toEqual(Array(20).fill(201));
    }
    await expect.poll(() => countDispatches(api.prisma, { status: 'ACTIVE' }), { timeout: 60_000 }).toBe(0);
    await worker.stop();

    const since = new Date(Date.now() - 3600_000);
    const until = new Date(Date.now() + 3600_000);
    const expected = [
      [good, 'SUCCEEDED', { succeeded: events, failed: 0, retrying: 0 }],
      [bad, 'FAILED', { succeeded: 0, failed: events, retrying: 0 }],
    ] as const;
    for (const [webhook, status, outcomes] of expected) {
      const shown = (await api.request('GET', `/v2/webhooks/${webhook.id}`)).json().data;
      const newest = (await findDispatches(api.prisma, { webhookId: webhook.id })).at(-1);
      expect(shown).toMatchObject({
        state: 'ACTIVE',
        stats: { totalDispatches: events },
        lastDispatch: { status, finishedAt: newest?.finishedAt?.toISOString() },
      });
      const hours = await hourlyDeliveries(api.prisma, { webhookId: webhook.id, since, until });
      const totals = hours.reduce(
        (sum, hour) => ({
          succeeded: sum.succeeded + hour.succeeded,
          failed: sum.failed + hour.failed,
          retrying: sum.retrying + hour.retrying,
        }),
        { succeeded: 0, failed: 0, retrying: 0 },
      );
      expect(totals).toEqual(outcomes);
    }
    expect(receiver.received).toHaveLength(2 * events);
  }, 120_000);
});

describe('the publish path has no foreign keys', () => {
  // PGlite has one connection: nothing can hold a lock while a publish runs.
  test.skipIf(TEST_DB_BACKEND !== 'postgres')(
    'publishing does not wait for the webhook or user row: it takes no lock on either',
    async ({ api, delivery }) => {
      const webhook = await delivery.webhook();
      // Another transaction holds both rows FOR UPDATE (as an edit would hold the webhook's); a
      // foreign-key check (FOR KEY SHARE on the parent) would wait for it to end, and the
      // transaction would time out waiting for the publish.
      const dispatchCount = await api.prisma.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1 FROM "Webhook" WHERE "id" = ${webhook.id} FOR UPDATE`;
          await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${api.admin.id} FOR UPDATE`;
          const published = await api.request('POST', '/v2/events', { body: RUN_EVENT });
          expect(published.statusCode).toBe(201);
          return published.json().data.dispatchCount as number;
        },
        { timeout: 60_000 },
      );
      expect(dispatchCount).toBe(1);
    },
    90_000,
  );

  test('deleting a webhook deletes its dispatches and calls; the sweep deletes those a racing publish left', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(200));
    const deleted = await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    expect(await delivery.worker().runOnce()).toBe(1);
    expect(await api.prisma.dispatchCall.count({ where: { webhookId: deleted.id } })).toBe(1);
    expect((await api.request('DELETE', `/v2/webhooks/${deleted.id}`)).statusCode).toBe(204);
    expect(await countDispatches(api.prisma, { webhookId: deleted.id })).toBe(0);
    expect(await api.prisma.dispatchCall.count({ where: { webhookId: deleted.id } })).toBe(0);

    // What a publish whose statement started before the deletion committed leaves behind: a
    // queued dispatch of a webhook that is gone. It is never sent, never listed, then swept.
    const kept = await delivery.webhook({ requestUrl: receiver.url });
    await delivery.publish(RUN_EVENT);
    await api.prisma.dispatchQueue.create({
      data: {
        id: 'orphanDispatch01',
        userId: api.admin.id,
        webhookId: deleted.id,
        eventType: 'X',
        state: 'HELD',
      },
    });
    const listed = (await api.request('GET', '/v2/webhook-dispatches')).json().data.items;
    expect(listed.map((dispatch: { webhookId: string }) => dispatch.webhookId)).toEqual([kept.id]);
    expect((await api.request('GET', '/v2/webhook-dispatches/orphanDispatch01')).statusCode).toBe(404);
    expect(await sweepOrphans(sqlFor(api.prisma))).toBe(1);
    expect((await findDispatches(api.prisma)).map((dispatch) => dispatch.webhookId)).toEqual([kept.id]);
    expect(await delivery.worker().runOnce()).toBe(1);
    expect(receiver.received).toHaveLength(2);
  }, 60_000);
});

describe('modifiedAt', () => {
  test('moves with the definition (PUT, state changes by people and by TOO_MANY_ERRORS), never with publishing or delivery', async ({
    api,
    delivery,
  }) => {
    const receiver = await delivery.receiver(respond(200));
    const created = (await delivery.webhook({ requestUrl: receiver.url, doNotRetry: true })) as {
      id: string;
      modifiedAt: string;
    };
    const modifiedAt = async () =>
      (await api.request('GET', `/v2/webhooks/${created.id}`)).json().data.modifiedAt as string;
    expect(await modifiedAt()).toBe(created.modifiedAt);
    const worker = delivery.worker({ settings: { failureThreshold: 2 } });

    await delivery.publish(RUN_EVENT);
    await worker.runOnce();
    receiver.queue(respond(500));
    await delivery.publish(RUN_EVENT);
    await worker.runOnce();
    expect(await modifiedAt()).toBe(created.modifiedAt);

    const put = (
      await api.request('PUT', `/v2/webhooks/${created.id}`, { body: { description: 'x' } })
    ).json().data;
    expect(put.modifiedAt > created.modifiedAt).toBe(true);
    expect(await modifiedAt()).toBe(put.modifiedAt);

    // The second failure in a row (a PUT that keeps it ACTIVE does not forgive the first).
    receiver.queue(respond(500));
    await delivery.publish(RUN_EVENT);
    await worker.runOnce();
    const stopped = (await api.request('GET', `/v2/webhooks/${created.id}`)).json().data;
    expect(stopped.state).toBe('TOO_MANY_ERRORS');
    expect(stopped.modifiedAt > put.modifiedAt).toBe(true);

    const resumed = (
      await api.request('PUT', `/v2/webhooks/${created.id}`, { body: { state: 'ACTIVE' } })
    ).json().data;
    expect(resumed.modifiedAt > stopped.modifiedAt).toBe(true);
    receiver.queue(respond(410));
    await delivery.publish(RUN_EVENT);
    await worker.runOnce();
    const gone = (await api.request('GET', `/v2/webhooks/${created.id}`)).json().data;
    expect(gone.state).toBe('STOPPED');
    expect(gone.modifiedAt > resumed.modifiedAt).toBe(true);
  }, 60_000);
});
