/**
 * Throughput of the hot paths, on PGlite and (with TEST_DATABASE_URL) PostgreSQL:
 *   pnpm bench                                                        (PGlite)
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm bench   (both)
 * - publish: one event fanned out to 10 webhooks (one transaction: event, 10 dispatches, NOTIFY)
 * - deliver: 100 dispatches claimed, POSTed to a loopback receiver and recorded by one worker
 */
import { pino } from 'pino';
import { afterAll, bench, describe } from 'vitest';
import { HttpSender } from '../src/delivery/http-sender.ts';
import { USER_AGENT } from '../src/delivery/payload.ts';
import { DeliveryWorker } from '../src/delivery/worker.ts';
import { publishEvent } from '../src/services/events.ts';
import { createUser } from '../src/services/users.ts';
import { createWebhook } from '../src/services/webhooks.ts';
import { TEST_WORKER_SETTINGS } from '../test/delivery-fixtures.ts';
import { startReceiver } from '../test/receiver.ts';
import { benchDatabase } from './bench-database.ts';

const receiver = await startReceiver();
const sender = new HttpSender({
  policy: { allowLoopback: true, allowPrivate: false },
  userAgent: USER_AGENT,
});
const closers: Array<() => Promise<void>> = [() => receiver.close(), () => sender.close()];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function setUp(kind: 'pglite' | 'postgres') {
  const db = await benchDatabase(kind, closers);
  const { user } = await createUser(db.prisma, { input: { username: 'bench', isAdmin: false } });
  for (let index = 0; index < 10; index++) {
    await createWebhook(db.prisma, {
      userId: user.id,
      input: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: `${receiver.url}/${index}` },
    });
  }
  const worker = new DeliveryWorker({
    prisma: db.prisma,
    sender,
    logger: pino({ level: 'silent' }),
    settings: { ...TEST_WORKER_SETTINGS, batchSize: 100, concurrency: 100 },
  });
  const publish = () =>
    publishEvent(db.prisma, {
      userId: user.id,
      input: { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { n: 1 } },
    });
  return { db, worker, publish };
}

// Each vitest project (pglite; postgres when TEST_DATABASE_URL is set) benches its own backend.
const backends: Array<'pglite' | 'postgres'> = [
  process.env.RICOCHET_TEST_DB === 'postgres' ? 'postgres' : 'pglite',
];

for (const kind of backends) {
  const setup = await setUp(kind);
  describe(kind, () => {
    bench(
      'publish: 1 event fanned out to 10 webhooks',
      async () => {
        await setup.publish();
      },
      { time: 2000 },
    );

    bench(
      'deliver: 100 dispatches claimed, sent and recorded',
      async () => {
        for (let index = 0; index < 10; index++) await setup.publish();
        let delivered = 0;
        while (delivered < 100) delivered += await setup.worker.runOnce();
      },
      { time: 3000, iterations: 5 },
    );
  });
}
