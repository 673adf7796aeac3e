import { sqlFor } from '../src/db/sql.ts';
import type { PrismaClient } from '../src/generated/prisma/client.ts';
import { DISPATCH_ROWS, type DispatchRow } from '../src/queue/index.ts';

/** A call row as tests read it. */
export type TestCall = {
  dispatchId: string;
  attempt: number;
  webhookId: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: string | null;
  errorMessage: string | null;
  responseStatus: number | null;
  responseBody: string | null;
  requestUrl: string | null;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  responseHeaders: Record<string, string> | null;
};

export type TestDispatch = DispatchRow & { calls: TestCall[] };

type Where = Partial<Pick<DispatchRow, 'id' | 'userId' | 'webhookId' | 'eventId' | 'status' | 'eventType'>>;

function condition(where: Where): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of Object.entries(where)) {
    if (value === undefined) continue;
    params.push(value);
    parts.push(`x."${column}"${column === 'status' ? '::text' : ''} = $${params.length}`);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/**
 * Every dispatch matching `where`, wherever it is (the queue or the history, as the services read
 * them), oldest first, each with its calls in attempt order.
 */
export async function findDispatches(prisma: PrismaClient, where: Where = {}): Promise<TestDispatch[]> {
  const sql = sqlFor(prisma);
  const { sql: filter, params } = condition(where);
  const rows = await sql.query<DispatchRow>(
    `SELECT x.* FROM ${DISPATCH_ROWS} x ${filter} ORDER BY x."createdAt", x."id"`,
    params,
  );
  const calls = await sql.query<TestCall>(
    `SELECT * FROM "DispatchCall" WHERE "dispatchId" = ANY($1::text[]) ORDER BY "dispatchId", "attempt"`,
    [rows.map((row) => row.id)],
  );
  return rows.map((row) => ({ ...row, calls: calls.filter((call) => call.dispatchId === row.id) }));
}

/** The one dispatch matching `where` (the first, oldest, when there are several). */
export async function findDispatch(prisma: PrismaClient, where: Where = {}): Promise<TestDispatch> {
  const [found] = await findDispatches(prisma, where);
  if (!found) throw new Error(`no dispatch matches ${JSON.stringify(where)}`);
  return found;
}

export async function countDispatches(prisma: PrismaClient, where: Where = {}): Promise<number> {
  const { sql: filter, params } = condition(where);
  const [row] = await sqlFor(prisma).query<{ count: number }>(
    `SELECT count(*)::int AS "count" FROM ${DISPATCH_ROWS} x ${filter}`,
    params,
  );
  return row?.count ?? 0;
}
