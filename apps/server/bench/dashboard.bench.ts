/**
 * The dashboard's read models at real volume: 1,000 webhooks and 100,000 dispatches (with their
 * calls) of one user, on PGlite and (with TEST_DATABASE_URL) PostgreSQL. Each bench is one page
 * load's query: `pnpm --filter @ricochet/server bench bench/dashboard.bench.ts`.
 */
import { afterAll, bench, describe } from 'vitest';
import type { Database } from '../src/db/client.ts';
import {
  deliveryHistogram,
  installationOverview,
  listDispatchLog,
  listEventLog,
  searchWebhooks,
} from '../src/services/delivery-stats.ts';
import { createUser } from '../src/services/users.ts';
import { benchDatabase } from './bench-database.ts';

const WEBHOOKS = 1_000;
const DISPATCHES = 100_000;
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** Bulk rows in SQL: spread over the last 7 days, 80 % succeeded, 15 % failed, 5 % in flight. */
async function seed(db: Database) {
  const { user } = await createUser(db.prisma, { input: { username: 'bench', isAdmin: true } });
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO "Webhook" (id, "userId", "eventTypes", "requestUrl", "modifiedAt", "createdAt")
    SELECT 'wh' || lpad(i::text, 15, '0'), '${user.id}', ARRAY['ACTOR.RUN.SUCCEEDED', 'TEST'],
      'https://host' || (i % 50) || '.example.com/hook/' || i, now(), now() - (i || ' minutes')::interval
    FROM generate_series(1, ${WEBHOOKS}) AS i`);
  // Finished dispatches are history; the 5 % in flight are in the queue, waiting for a retry.
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO "Dispatch" (id, "userId", "webhookId", "eventType", status, "attemptCount", "createdAt", "finishedAt")
    SELECT 'd' || lpad(i::text, 16, '0'), '${user.id}', 'wh' || lpad((i % ${WEBHOOKS} + 1)::text, 15, '0'),
      CASE WHEN i % 2 = 0 THEN 'ACTOR.RUN.SUCCEEDED' ELSE 'TEST' END,
      (CASE WHEN i % 20 < 4 THEN 'FAILED' ELSE 'SUCCEEDED' END)::"DispatchStatus",
      1, now() - ((i % 10080) || ' minutes')::interval, now() - ((i % 10080) || ' minutes')::interval + interval '1 second'
    FROM generate_series(1, ${DISPATCHES}) AS i WHERE i % 20 <> 0`);
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO "DispatchQueue" (id, "userId", "webhookId", "eventType", state, "attemptCount", "createdAt", "runAt")
    SELECT 'd' || lpad(i::text, 16, '0'), '${user.id}', 'wh' || lpad((i % ${WEBHOOKS} + 1)::text, 15, '0'),
      CASE WHEN i % 2 = 0 THEN 'ACTOR.RUN.SUCCEEDED' ELSE 'TEST' END, 'SCHEDULED',
      1, now() - ((i % 10080) || ' minutes')::interval, now() + interval '1 minute'
    FROM generate_series(1, ${DISPATCHES}) AS i WHERE i % 20 = 0`);
  await db.prisma.$executeRawUnsafe(`
    INSERT INTO "DispatchCall" ("dispatchId", "webhookId", attempt, "startedAt", "finishedAt", "responseStatus")
    SELECT d.id, d."webhookId", 1, d."createdAt", d."createdAt" + interval '120 milliseconds',
      CASE WHEN d.status = 'FAILED' THEN 500 ELSE 200 END
    FROM "Dispatch" d`);
  await db.prisma.$executeRawUnsafe('ANALYZE');
  return { userId: user.id, webhookId: `wh${String(1).padStart(15, '0')}` };
}

const kind = process.env.RICOCHET_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
const db = await benchDatabase(kind, closers);
const { userId, webhookId } = await seed(db);
const prisma = db.prisma;
const options = { time: 1000, iterations: 5 };

describe(`${kind}: ${WEBHOOKS} webhooks, ${DISPATCHES} dispatches`, () => {
  bench(
    'webhooks table: first page with 24 h success rates',
    async () => {
      await searchWebhooks(prisma, { userId, query: { offset: 0, limit: 25 } });
    },
    options,
  );
  bench(
    'webhooks table: search',
    async () => {
      await searchWebhooks(prisma, { userId, query: { search: 'host7.', offset: 0, limit: 25 } });
    },
    options,
  );
  bench(
    'chart: one webhook, 24 hours',
    async () => {
      await deliveryHistogram(prisma, { userId, webhookId, hours: 24 });
    },
    options,
  );
  bench(
    'chart: all webhooks, 24 hours',
    async () => {
      await deliveryHistogram(prisma, { userId, hours: 24 });
    },
    options,
  );
  bench(
    'dispatch log: one webhook, FAILED, first page',
    async () => {
      await listDispatchLog(prisma, { userId, query: { webhookId, status: 'FAILED', offset: 0, limit: 20 } });
    },
    options,
  );
  bench(
    'dispatch log: everything, page 100',
    async () => {
      await listDispatchLog(prisma, { userId, query: { offset: 2000, limit: 20 } });
    },
    options,
  );
  bench(
    'events page',
    async () => {
      await listEventLog(prisma, { userId, offset: 0, limit: 20 });
    },
    options,
  );
  bench(
    'installation overview',
    async () => {
      await installationOverview(prisma, { installationDays: 30 });
    },
    options,
  );
});
