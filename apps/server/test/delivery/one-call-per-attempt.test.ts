import { type Sql, sqlFor } from '../../src/db/sql.ts';
import {
  type AttemptResult,
  type ClaimedDispatch,
  claim,
  INTERRUPTED,
  promote,
  record,
} from '../../src/queue/index.ts';
import { TEST_DB_BACKEND } from '../db-fixtures.ts';
import { type DeliveryHarness, describe, expect, test } from '../delivery-fixtures.ts';

// DispatchCall is partitioned by startedAt, and a unique index of a partitioned table must include
// the partition key: nothing in the schema stops a second row for one (dispatchId, attempt). These
// tests drive the two writers of an attempt's call, the worker's record and the lease recovery
// (promote), through the interleavings that could write it twice.

const RUN_EVENT = { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'a' } };
const WORKER = 'worker-1';

type CallRow = {
  attempt: number;
  responseStatus: number | null;
  errorMessage: string | null;
  outcome: string | null;
};

/** One published dispatch, claimed by WORKER with a lease of `leaseMs` (negative: lapsed already). */
async function claimedDispatch(
  sql: Sql,
  delivery: DeliveryHarness,
  leaseMs: number,
): Promise<ClaimedDispatch> {
  await delivery.webhook({ requestUrl: 'https://example.com/hook', condition: {} });
  await delivery.publish(RUN_EVENT);
  const [claimed] = await claim(sql, { limit: 1, window: 10, perHost: 10, leaseMs, workerId: WORKER });
  if (!claimed) throw new Error('nothing claimed');
  return claimed;
}

/** The worker's answer to a claimed attempt: a 200, started just now (after the lease began). */
function answerTo(claimed: ClaimedDispatch): AttemptResult {
  const now = new Date();
  return {
    id: claimed.id,
    webhookId: claimed.webhookId,
    attempt: claimed.attempt,
    startedAt: new Date(now.getTime() + 5).toISOString(),
    finishedAt: new Date(now.getTime() + 10).toISOString(),
    requestUrl: 'https://example.com/hook',
    requestHeaders: { 'content-type': 'application/json' },
    requestBody: '{}',
    requestTimestamp: null,
    requestSignatures: null,
    requestParts: null,
    responseStatus: 200,
    responseHeaders: {},
    responseBody: 'ok',
    errorMessage: null,
    outcome: 'succeeded',
    retryDelayMs: null,
  };
}

const recordAnswer = (sql: Sql, result: AttemptResult) =>
  record(sql, { results: [result], workerId: WORKER, perHost: 10, dueBase: null });

function callsOf(sql: Sql, dispatchId: string): Promise<CallRow[]> {
  return sql.query<CallRow>(
    `SELECT "attempt", "responseStatus", "errorMessage", "outcome" FROM "DispatchCall" WHERE "dispatchId" = $1
    ORDER BY "attempt", "startedAt"`,
    [dispatchId],
  );
}

async function until(condition: () => Promise<boolean>, budgetMs = 30_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('one call per attempt', () => {
  test('a record retried after its commit was not acknowledged keeps the one call, outcome included', async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const claimed = await claimedDispatch(sql, delivery, 30_000);
    const answer = answerTo(claimed);
    expect(await recordAnswer(sql, answer)).toEqual([claimed.id]);
    // The worker saw an error (say the connection dropped before COMMIT's answer) and writes again.
    expect(await recordAnswer(sql, answer)).toEqual([]);
    expect(await callsOf(sql, claimed.id)).toEqual([
      { attempt: 1, responseStatus: 200, errorMessage: null, outcome: 'succeeded' },
    ]);
  });

  test('an answer recorded after the lease recovery wrote its attempt as interrupted replaces it', async ({
    api,
    delivery,
  }) => {
    const sql = sqlFor(api.prisma);
    const claimed = await claimedDispatch(sql, delivery, -1_000);
    await promote(sql, { dueBase: null, limit: 100 });
    expect((await callsOf(sql, claimed.id)).map((call) => call.errorMessage)).toEqual([INTERRUPTED]);
    expect(await recordAnswer(sql, answerTo(claimed))).toEqual([]);
    expect(await callsOf(sql, claimed.id)).toEqual([
      { attempt: 1, responseStatus: 200, errorMessage: null, outcome: null },
    ]);
  });

  // PGlite has one connection: statements never overlap there.
  test.skipIf(TEST_DB_BACKEND !== 'postgres')(
    'an answer recorded while the lease recovery commits its interrupted call replaces it',
    async ({ api, delivery }) => {
      const sql = sqlFor(api.prisma);
      const claimed = await claimedDispatch(sql, delivery, -1_000);
      let recording: Promise<string[]> | undefined;
      await sql.transaction(async (tx) => {
        // The recovery has written the interrupted call and moved the row, not yet committed...
        await promote(tx, { dueBase: null, limit: 100 });
        // ...when the worker's record begins: its snapshot predates the interrupted call, and its
        // move waits for the recovery's row lock.
        recording = recordAnswer(sql, answerTo(claimed));
        await until(async () => {
          // Asked outside the transaction: inside one, pg_stat_activity is a snapshot taken once.
          // (Its query text is cut at 1 kB: the record is known by its start.)
          const waiting = await sql.query(
            `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH r AS (%'`,
          );
          return waiting.length > 0;
        });
      });
      expect(await recording).toEqual([]);
      expect(await callsOf(sql, claimed.id)).toEqual([
        { attempt: 1, responseStatus: 200, errorMessage: null, outcome: null },
      ]);
    },
  );
});
