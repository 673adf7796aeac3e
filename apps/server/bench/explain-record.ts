// Development aid (not part of pnpm bench): times variants of the record statement on 50 leased rows.
//   node --import tsx bench/explain-record.ts [rounds]
import pg from 'pg';
import { applyMigrationsToPostgres } from '../src/db/migrate.ts';
import { postgresSql, type Sql } from '../src/db/sql.ts';
import { type AttemptResult, claim, record } from '../src/queue/index.ts';
import { seedBenchUser } from './bench-user.ts';

const server = 'postgres://postgres@127.0.0.1:5432/postgres';
const admin = new pg.Client({ connectionString: server });
await admin.connect();
const name = `explain_${Date.now()}`;
await admin.query(`CREATE DATABASE "${name}"`);
const url = server.replace(/\/postgres$/, `/${name}`);
await applyMigrationsToPostgres(url);
const pool = new pg.Pool({ connectionString: url, max: 2 });
await seedBenchUser(pool, 'http://127.0.0.1:9', 1);
const ROUNDS = Number(process.argv[2] ?? 40);
const ROWS = ROUNDS * 50 * 4;
await pool.query(
  `INSERT INTO "Event" ("id","userId","eventType","eventData","dispatchCount") SELECT 'ev'||i,'benchUser','ACTOR.RUN.SUCCEEDED', jsonb_build_object('actorId','benchActor','i',i),1 FROM generate_series(1,$1::int) i`,
  [ROWS],
);
await pool.query(
  `INSERT INTO "DispatchQueue" ("id","userId","webhookId","eventId","eventType","state","fairKey") SELECT 'd'||i,'benchUser','benchWebhook1','ev'||i,'ACTOR.RUN.SUCCEEDED','READY',i FROM generate_series(1,$1::int) i`,
  [ROWS],
);
const sql = postgresSql(pool);
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'x-apify-webhook': 'benchWebhook1',
  'x-apify-webhook-dispatch-id': 'd1',
  'x-apify-request-origin': 'RICOCHET',
  'webhook-id': 'd1',
  'webhook-timestamp': '1764680000',
  'webhook-signature': `v1,${'a'.repeat(44)}`,
  'x-superoffice-signature': 'b'.repeat(44),
  'user-agent': 'Ricochet-Webhooks/0.1 (+https://github.com/ricochet-webhooks/ricochet)',
};

async function results(): Promise<AttemptResult[]> {
  const claimed = await claim(sql, {
    limit: 50,
    window: 100,
    perHost: 100000,
    leaseMs: 60000,
    workerId: 'w',
  });
  return claimed.map((c) => ({
    id: c.id,
    webhookId: c.webhookId,
    attempt: c.attempt,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    requestUrl: 'http://127.0.0.1:9/hook/1',
    requestHeaders: headers,
    requestBody: JSON.stringify({
      userId: 'benchUser',
      createdAt: new Date().toISOString(),
      eventType: 'ACTOR.RUN.SUCCEEDED',
      eventData: { actorId: 'benchActor', i: 1 },
      resource: null,
    }),
    responseStatus: 204,
    responseHeaders: { date: new Date().toUTCString(), connection: 'keep-alive', 'keep-alive': 'timeout=60' },
    responseBody: '',
    errorMessage: null,
    outcome: 'succeeded' as const,
    retryDelayMs: null,
  }));
}

const variants: Record<string, (s: Sql, r: AttemptResult[]) => Promise<unknown>> = {
  current: (s, r) => record(s, { results: r, workerId: 'w', perHost: 100000, dueBase: null }),
  'no stored request': (s, r) =>
    record(s, {
      results: r.map((x) => ({ ...x, requestHeaders: {}, requestBody: null, responseHeaders: null })),
      workerId: 'w',
      perHost: 100000,
      dueBase: null,
    }),
};
// The statement as written (unnest) against the same with the batch as JSON (json_to_recordset).
let TEXT = '';
let PARAMS: unknown[] = [];
const capture: Sql = {
  backend: 'postgres',
  query: async (text, params) => {
    TEXT = text;
    PARAMS = params ?? [];
    return [];
  },
  transaction: async () => {
    throw new Error('no');
  },
};
const asJson = (text: string) =>
  text.replace(
    /SELECT \* FROM unnest\([\s\S]*?"retryDelayMs"\)/,
    `SELECT * FROM json_to_recordset($19::json) AS r("id" text, "webhookId" text, "attempt" int, "startedAt" timestamp(3), "finishedAt" timestamp(3), "requestUrl" text, "requestHeaders" json, "requestBody" text, "responseStatus" int, "responseHeaders" json, "responseBody" text, "errorMessage" text, "outcome" text, "retryDelayMs" bigint)`,
  );
async function explained(s: Sql, text: string, params: unknown[]): Promise<number> {
  const rows = await s.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, FORMAT TEXT) ${text}`, params);
  return Number(/Execution Time: ([\d.]+)/.exec(rows.map((row) => row['QUERY PLAN']).join('\n'))?.[1]);
}
variants['unnest (server time)'] = async (s, r) => {
  await record(capture, { results: r, workerId: 'w', perHost: 100000, dueBase: null });
  return (serverTimes['unnest'] ??= []).push(await explained(s, TEXT, PARAMS));
};
variants['json (server time)'] = async (s, r) => {
  await record(capture, { results: r, workerId: 'w', perHost: 100000, dueBase: null });
  // The batch as JSON in $1, then the statement's other parameters.
  const text = asJson(TEXT).replace(
    /\$(1[5-9])\b/g,
    (_m, n: string) => `$${Number(n) === 19 ? 1 : Number(n) - 13}`,
  );
  return (serverTimes['json'] ??= []).push(
    await explained(s, text, [JSON.stringify(r), ...PARAMS.slice(14)]),
  );
};
const serverTimes: Record<string, number[]> = {};
const times: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, run] of Object.entries(variants).sort(() => Math.random() - 0.5)) {
    const r = await results();
    const t0 = performance.now();
    await run(sql, r);
    (times[label] ??= []).push(performance.now() - t0);
  }
}
for (const [label, list] of Object.entries(times)) {
  list.sort((a, b) => a - b);
  console.log(`${label}: median ${list[Math.floor(list.length / 2)]?.toFixed(2)} ms per 50`);
}
for (const [label, list] of Object.entries(serverTimes)) {
  list.sort((a, b) => a - b);
  console.log(`${label}: server execution median ${list[Math.floor(list.length / 2)]?.toFixed(3)} ms per 50`);
}
await pool.end();
await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
await admin.end();
