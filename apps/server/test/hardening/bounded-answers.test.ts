import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIST_PAGE_MAX_BYTES } from '@ricochet/schema';
import { ensureStopped, startRicochet } from '@ricochet/testkit';
import { describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { sqlFor } from '../../src/db/sql.ts';
import { freshPostgresDatabase, TEST_DB_BACKEND } from '../db-fixtures.ts';

// The data: 1,000 dispatches of one webhook with 12 calls each (12 KB response bodies) and
// ~50 KB of event data, plus one dispatch redelivered until it has 3,000 calls. As JSON that is
// about 170 MB of dispatch lists and 30 MB of one dispatch. The API runs with a 160 MB heap: an
// answer built whole in memory does not fit, so it must be bounded (lists) or streamed (one
// dispatch with all its calls).
const HEAP_MB = 160;
const DISPATCHES = 1_000;
const CALLS = 12;
const BIG_CALLS = 3_000;
const READ_ONLY_TOKEN = 'ricochet_api_boundedanswersreadonly00000000000';
const BUDGET_MS = 300_000;

const USER = 'BoundedUser000001';
const WEBHOOK = 'BoundedHook000001';
const BIG = 'BoundedBigDisp001';

async function seed(sql: ReturnType<typeof sqlFor>): Promise<void> {
  const token = createHash('sha256').update(READ_ONLY_TOKEN).digest('hex');
  await sql.query(`INSERT INTO "User" ("id", "username", "isAdmin") VALUES ($1, 'bounded', false)`, [USER]);
  await sql.query(
    `INSERT INTO "ApiToken" ("id", "userId", "name", "scope", "tokenHash", "prefix")
     VALUES ('BoundedToken00001', $1, 'read-only', 'READ_ONLY', $2, 'ricochet_api_boun')`,
    [USER, token],
  );
  await sql.query(
    `INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl")
     VALUES ($1, $2, '{ACTOR.RUN.SUCCEEDED}', 'https://example.com/hook')`,
    [WEBHOOK, USER],
  );
  // md5 text repeated: about 50 KB of event data and 12 KB per response body.
  await sql.query(
    `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventType", "eventData", "status",
       "attemptCount", "createdAt", "finishedAt")
     SELECT 'BD' || lpad(i::text, 15, '0'), $1, $2, 'ACTOR.RUN.SUCCEEDED',
       jsonb_build_object('actorId', 'a', 'blob', repeat(md5(i::text), 1600)), 'FAILED', $3,
       timezone('UTC', now()) - interval '1 day' + i * interval '1 second', timezone('UTC', now()) - interval '1 day' + i * interval '1 second'
     FROM generate_series(1, $4::int) i`,
    [USER, WEBHOOK, CALLS, DISPATCHES],
  );
  await sql.query(
    `INSERT INTO "DispatchCall" ("dispatchId", "webhookId", "attempt", "startedAt", "finishedAt",
       "outcome", "responseStatus", "responseBody")
     SELECT 'BD' || lpad(i::text, 15, '0'), $1, a,
       timezone('UTC', now()) - interval '1 day', timezone('UTC', now()) - interval '1 day', 'failed', 500, repeat(md5((i * 100 + a)::text), 375)
     FROM generate_series(1, $2::int) i, generate_series(1, $3::int) a`,
    [WEBHOOK, DISPATCHES, CALLS],
  );
  await sql.query(
    `INSERT INTO "Dispatch" ("id", "userId", "webhookId", "eventType", "eventData", "status", "attemptCount",
       "createdAt", "finishedAt")
     VALUES ($1, $2, $3, 'ACTOR.RUN.SUCCEEDED', '{"actorId":"a"}', 'FAILED', $4, timezone('UTC', now()) - interval '1 hour',
       timezone('UTC', now()) - interval '1 hour')`,
    [BIG, USER, WEBHOOK, BIG_CALLS],
  );
  await sql.query(
    `INSERT INTO "DispatchCall" ("dispatchId", "webhookId", "attempt", "startedAt", "finishedAt",
       "outcome", "responseStatus", "responseBody", "requestHeaders", "requestBody")
     SELECT $1, $2, a, timezone('UTC', now()) - interval '1 hour', timezone('UTC', now()) - interval '1 hour',
       'failed', 500, repeat(md5(a::text), 312), '{"content-type":"application/json"}',
       repeat(md5((a + 7)::text), 2000)
     FROM generate_series(1, $3::int) a`,
    [BIG, WEBHOOK, BIG_CALLS],
  );
}

/** The process's resident memory in MiB, from /proc. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

describe(`every answer is bounded in memory, whatever the data (${TEST_DB_BACKEND})`, () => {
  test(
    `the API under a ${HEAP_MB} MB heap answers lists of huge dispatches in pages and streams a dispatch of ${BIG_CALLS} calls`,
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'ricochet-bounded-'));
      const database = TEST_DB_BACKEND === 'postgres' ? await freshPostgresDatabase() : undefined;
      const seeded = await openDatabase(database ? { databaseUrl: database.url } : { dataDir });
      try {
        await seed(sqlFor(seeded.prisma));
      } finally {
        await seeded.close();
      }
      const server = startRicochet(['--api'], {
        PORT: '0',
        DATABASE_URL: database?.url ?? '',
        RICOCHET_DATA_DIR: dataDir,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_MB}`,
        LOG_LEVEL: 'info',
      });
      const pid = server.child.pid as number;
      let peakRss = 0;
      const sampler = setInterval(() => {
        try {
          peakRss = Math.max(peakRss, rssMiB(pid));
        } catch {
          // gone
        }
      }, 50);
      try {
        const line = await server.waitForLine(/Server listening at/, BUDGET_MS);
        const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
        const headers = { authorization: `Bearer ${READ_ONLY_TOKEN}` };
        const get = async (path: string) => {
          const response = await fetch(`${base}${path}`, { headers });
          const body = await response.text();
          expect(response.status, `${path}: ${body.slice(0, 300)}`).toBe(200);
          return { body, bytes: Buffer.byteLength(body) };
        };
        const idle = rssMiB(pid);
        const trpcInput = (input: unknown) => encodeURIComponent(JSON.stringify(input));
        const lists = [
          '/v2/webhook-dispatches?limit=1000',
          `/v2/webhooks/${WEBHOOK}/dispatches?limit=1000&desc=1`,
          '/trpc/dispatches.list',
          `/trpc/webhooks.dispatches?input=${trpcInput({ webhookId: WEBHOOK })}`,
        ];
        // Four at once, twice over, as the four clients did.
        for (let round = 0; round < 2; round++) {
          const answers = await Promise.all(lists.map(get));
          for (const answer of answers) {
            expect(answer.bytes).toBeLessThanOrEqual(LIST_PAGE_MAX_BYTES + 4_096);
            const page = JSON.parse(answer.body);
            const data = page.data ?? page.result.data;
            expect(data.total).toBe(DISPATCHES + 1);
            expect(data.count).toBe(data.items.length);
            expect(data.count).toBeGreaterThan(0);
            expect(data.count).toBeLessThan(DISPATCHES);
          }
        }
        // The pages still reach every dispatch, following `count` as Apify's clients do.
        const seen = new Set<string>();
        for (let offset = 0; offset < DISPATCHES + 1; ) {
          const page = JSON.parse(
            (await get(`/v2/webhook-dispatches?limit=1000&offset=${offset}`)).body,
          ).data;
          for (const item of page.items) seen.add(item.id);
          expect(page.count).toBeGreaterThan(0);
          offset += page.count;
        }
        expect(seen.size).toBe(DISPATCHES + 1);

        // One dispatch with every one of its 3,000 calls (Apify's "with all details"): streamed.
        const [whole, viaTrpc, detail] = await Promise.all([
          get(`/v2/webhook-dispatches/${BIG}`),
          get(`/trpc/dispatches.get?input=${trpcInput({ dispatchId: BIG })}`),
          get(`/trpc/insights.dispatch?input=${trpcInput({ dispatchId: BIG })}`),
        ]);
        const all = JSON.parse(whole.body).data;
        expect(all.calls).toHaveLength(BIG_CALLS);
        expect(all.calls.map((call: { responseStatus: number }) => call.responseStatus)).toEqual(
          Array(BIG_CALLS).fill(500),
        );
        expect(whole.bytes).toBeGreaterThan(BIG_CALLS * 10_000);
        // Through tRPC (no streaming) the latest calls only, and attemptCount says how many there were.
        for (const answer of [viaTrpc, detail]) {
          const dispatch = JSON.parse(answer.body).result.data;
          expect(dispatch.attemptCount).toBe(BIG_CALLS);
          expect(dispatch.calls.length).toBeLessThanOrEqual(100);
          expect(dispatch.calls.at(-1).attempt ?? BIG_CALLS).toBe(BIG_CALLS);
          expect(answer.bytes).toBeLessThanOrEqual(LIST_PAGE_MAX_BYTES + 4_096);
        }

        expect(server.child.exitCode).toBeNull();
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        console.log(
          `bounded answers (${TEST_DB_BACKEND}): RSS idle ${idle.toFixed(0)} MiB, peak ${peakRss.toFixed(0)} MiB`,
        );
        // Far below the 1.7 GB one list took before; what is left is the runtime and (PGlite) the database.
        expect(peakRss - idle).toBeLessThan(400);
      } finally {
        clearInterval(sampler);
        await ensureStopped([server]);
        rmSync(dataDir, { recursive: true, force: true });
        await database?.drop();
      }
      expect(server.lines.join('\n')).not.toMatch(/heap out of memory|JavaScript heap/);
    },
    BUDGET_MS * 2,
  );
});
