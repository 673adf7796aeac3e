import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { postgresSql, type Sql } from '../../src/db/sql.ts';
import { type AttemptResult, claim, record } from '../../src/queue/index.ts';
import { freshPostgresDatabase, TEST_DB_BACKEND } from '../db-fixtures.ts';

/**
 * The claim and the record run as prepared statements, so each connection keeps one generic plan,
 * made from statistics that in a queue are always out of date (the LEASED rows come and go faster
 * than ANALYZE looks). These tests plan the statements on a queue with a backlog and few calls in
 * flight, as when a batch has just come in, then run them with hundreds of calls in flight, and count the rows each
 * reads of the LEASED index: a plan that reads every lease once per candidate or per result (as
 * two did, 17 and 35 ms of statements that take 2) fails them, whatever the machine's speed.
 */
describe.skipIf(TEST_DB_BACKEND !== 'postgres')('queue statements keep their cost as leases pile up', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const LEASES = 400;
  const HOST = 'http://127.0.0.1:9';

  /** `count` dispatches LEASED by another worker, to HOST. */
  async function insertLeases(pool: pg.Pool, prefix: string, count: number): Promise<void> {
    await pool.query(
      `INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventType", "eventId", "state", "fairKey", "hostKey",
         "leasedBy", "leasedAt", "leaseExpiresAt", "attemptCount")
       SELECT $2 || i, 'u', 'w', 'ACTOR.RUN.SUCCEEDED', 'e' || i, 'LEASED', i, $1, 'other', now(), now() + interval '1 minute', 1
       FROM generate_series(1, $3::int) i`,
      [HOST, prefix, count],
    );
  }

  async function leasedRows(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query(
      `SELECT count(*)::int AS "n" FROM "DispatchQueue" WHERE "state" = 'LEASED'`,
    );
    return rows[0].n;
  }

  async function queueWithLeases(): Promise<QueueUnderTest> {
    const database = await freshPostgresDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    // The database is dropped with its connections at the end.
    pool.on('error', () => {});
    cleanups.push(async () => {
      await pool.end();
      await database.drop();
    });
    await pool.query(`INSERT INTO "User" ("id", "username") VALUES ('u', 'u')`);
    await pool.query(
      `INSERT INTO "Webhook" ("id", "userId", "eventTypes", "requestUrl", "hostKey")
       VALUES ('w', 'u', ARRAY['ACTOR.RUN.SUCCEEDED'], $1, $1)`,
      [HOST],
    );
    // Statistics of a queue with a backlog and few calls in flight, as when a batch has just come in.
    await pool.query(
      `INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventType", "eventId", "state", "fairKey")
       SELECT 'ready' || i, 'u', 'w', 'ACTOR.RUN.SUCCEEDED', 'e' || i, 'READY', i FROM generate_series(1, 2000) i`,
    );
    await insertLeases(pool, 'first', 5);
    await pool.query('ANALYZE');
    const client = await pool.connect();
    cleanups.push(async () => client.release());
    await client.query('SET plan_cache_mode = force_generic_plan');
    let explain = false;
    let plan: PlanNode | undefined;
    const base = postgresSql(pool);
    const sql: Sql = {
      ...base,
      async query<Row>(text: string, params?: unknown[]) {
        if (!explain) return (await client.query({ text, values: params })).rows as Row[];
        const result = await client.query({ text: `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values: params });
        plan = (result.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]?.Plan;
        return [];
      },
    };
    // Claims of the empty queue plan the claim.
    for (let round = 0; round < 6; round++)
      await claim(sql, { limit: 50, window: 100, perHost: 10_000, leaseMs: 60_000, workerId: 'planner' });
    // Then the calls in flight pile up (another worker's).
    await insertLeases(pool, 'later', LEASES);
    return {
      client,
      sql,
      explainNext: () => {
        explain = true;
      },
      explained: () => {
        explain = false;
        if (!plan) throw new Error('no plan was explained');
        return plan;
      },
    };
  }

  test('a claim counts the calls in flight on its hosts once, not once per candidate', async () => {
    const queue = await queueWithLeases();
    const leased = await leasedRows(queue.client);
    expect(leased).toBeGreaterThan(LEASES);
    queue.explainNext();
    await claim(queue.sql, { limit: 50, window: 100, perHost: 10_000, leaseMs: 60_000, workerId: 'me' });
    const plan = queue.explained();
    expect(repeatedScans(plan)).toEqual([]);
    // The host's calls in flight are counted, once (those this claim takes may be seen too).
    expect(rowsReadFrom(plan, 'DispatchQueue_leased_idx')).toBeGreaterThanOrEqual(leased);
    expect(rowsReadFrom(plan, 'DispatchQueue_leased_idx')).toBeLessThanOrEqual(leased + 50);
  });

  test('a record finds the results it holds by their keys, not by reading every lease per result', async () => {
    const queue = await queueWithLeases();
    const claims = await claim(queue.sql, {
      limit: 50,
      window: 100,
      perHost: 10_000,
      leaseMs: 60_000,
      workerId: 'me',
    });
    expect(claims).toHaveLength(50);
    const resultOf = (one: (typeof claims)[number]): AttemptResult => ({
      id: one.id,
      webhookId: one.webhookId,
      attempt: one.attempt,
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      requestUrl: `${HOST}/hook`,
      requestHeaders: {},
      requestBody: '{}',
      requestTimestamp: null,
      requestSignatures: null,
      requestParts: null,
      responseStatus: 204,
      responseHeaders: {},
      responseBody: '',
      errorMessage: null,
      outcome: 'succeeded',
      retryDelayMs: null,
    });
    // Records of the first few claims plan the record (with the 400 leases of the other worker).
    for (const one of claims.slice(0, 6)) {
      expect(
        await record(queue.sql, { results: [resultOf(one)], workerId: 'me', perHost: 10_000, dueBase: null }),
      ).toEqual([one.id]);
    }
    const leased = await leasedRows(queue.client);
    queue.explainNext();
    await record(queue.sql, {
      results: claims.slice(6).map(resultOf),
      workerId: 'me',
      perHost: 10_000,
      dueBase: null,
    });
    const plan = queue.explained();
    expect(repeatedScans(plan)).toEqual([]);
    // Each held result is one primary key probe; the leases are read at most once (in none of
    // the statement's parts is a scan of them repeated per result).
    expect(rowsReadFrom(plan, 'DispatchQueue_leased_idx')).toBeLessThanOrEqual(leased);
    const { rows } = await queue.client.query(
      `SELECT count(*)::int AS "finished" FROM "Dispatch" WHERE "id" = ANY($1::text[])`,
      [claims.map((one) => one.id)],
    );
    expect(rows[0].finished).toBe(50);
  });
});

type PlanNode = {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
};

type QueueUnderTest = { client: pg.PoolClient; sql: Sql; explained: () => PlanNode; explainNext: () => void };

/**
 * The nodes of a plan that are run more than once and give more than one row each time: a set
 * (the leases, the results) read again for every row of another, the cost these tests rule out.
 */
function repeatedScans(plan: PlanNode): string[] {
  const own =
    (plan['Actual Loops'] > 1 && plan['Actual Rows'] > 1) ||
    // Nor is the queue ever read whole.
    (plan['Node Type'] === 'Seq Scan' && plan['Relation Name'] === 'DispatchQueue')
      ? [
          `${plan['Node Type']}${plan['Index Name'] ? ` on ${plan['Index Name']}` : ''}: ${plan['Actual Rows']} rows x ${plan['Actual Loops']}`,
        ]
      : [];
  return [...own, ...(plan.Plans ?? []).flatMap(repeatedScans)];
}

/** Rows a plan read from one index, over all of its loops. */
function rowsReadFrom(plan: PlanNode, index: string): number {
  const own = plan['Index Name'] === index ? plan['Actual Rows'] * plan['Actual Loops'] : 0;
  return own + (plan.Plans ?? []).reduce((sum, child) => sum + rowsReadFrom(child, index), 0);
}
