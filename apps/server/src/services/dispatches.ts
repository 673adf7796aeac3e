import {
  type BulkRedeliverInputSchema,
  type CallRequestState,
  type Dispatch,
  type DispatchCall,
  type DispatchDetail,
  type DispatchListQuery,
  type DispatchStatus,
  type List,
  type QueueState,
  WEBHOOK_ACTION_TYPE,
} from '@ricochet/schema';
import type { z } from 'zod';
import { type Sql, sqlFor } from '../db/sql.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import * as queue from '../queue/index.ts';
import { AppError, recordNotFound } from './errors.ts';
import { newRecordId } from './ids.ts';
import type { Limits } from './limits.ts';
import { toList } from './pagination.ts';
import { conditionOf } from './webhooks.ts';

const WEBHOOK_OF_DISPATCH = {
  id: true,
  requestUrl: true,
  isAdHoc: true,
  conditionActorId: true,
  conditionActorTaskId: true,
  conditionActorRunId: true,
} as const satisfies Prisma.WebhookSelect;
type WebhookOfDispatch = Prisma.WebhookGetPayload<{ select: typeof WEBHOOK_OF_DISPATCH }>;

/** A dispatch row (queue or history, see queue/dispatch-rows.ts) with its event's data joined in. */
type Row = queue.DispatchRow;

/** A call row as the lists read it: only Apify's fields (lists never read stored requests). */
type CallRow = {
  dispatchId: string;
  attempt: number;
  startedAt: Date;
  finishedAt: Date | null;
  errorMessage: string | null;
  responseStatus: number | null;
  responseBody: string | null;
};

type CallDetailRow = CallRow & {
  requestUrl: string | null;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  responseHeaders: Record<string, string> | null;
};

/** The columns of DISPATCH_ROWS with the event's data in place of a real event's (null) own. */
const DISPATCH_COLUMNS = `x."id", x."userId", x."webhookId", x."eventId", x."eventType",
  COALESCE(x."eventData", e."eventData") AS "eventData", COALESCE(x."resource", e."resource") AS "resource",
  x."status", x."attemptCount", x."createdAt", x."finishedAt", x."nextAttemptAt", x."queueState", x."leasedAt"`;

/**
 * A page of dispatches matching `where` (SQL over alias x, parameters from $1), newest last or first.
 * Rows of a webhook that is gone are left out: a publish racing the webhook's deletion left them,
 * and the worker deletes them.
 */
async function findDispatchRows(
  sql: Sql,
  args: { where: string[]; params: unknown[]; desc: boolean; offset: number; limit: number },
): Promise<{ total: number; rows: Row[] }> {
  const where = [...args.where, `EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = x."webhookId")`].join(
    ' AND ',
  );
  const direction = args.desc ? 'DESC' : 'ASC';
  const next = args.params.length;
  const [counted, rows] = await Promise.all([
    sql.query<{ total: number }>(
      `SELECT count(*)::int AS "total" FROM ${queue.DISPATCH_ROWS} x WHERE ${where}`,
      args.params,
    ),
    sql.query<Row>(
      `SELECT ${DISPATCH_COLUMNS} FROM ${queue.DISPATCH_ROWS} x LEFT JOIN "Event" e ON e."id" = x."eventId"
      WHERE ${where} ORDER BY x."createdAt" ${direction}, x."id" ${direction} OFFSET $${next + 1} LIMIT $${next + 2}`,
      [...args.params, args.offset, args.limit],
    ),
  ]);
  return { total: counted[0]?.total ?? 0, rows };
}

/** The webhooks of these rows, by id; rows whose webhook is gone are dropped. */
async function withWebhooks<Item extends { webhookId: string }>(
  prisma: PrismaClient,
  rows: Item[],
): Promise<Array<Item & { webhook: WebhookOfDispatch }>> {
  const ids = [...new Set(rows.map((row) => row.webhookId))];
  const webhooks = new Map(
    (await prisma.webhook.findMany({ where: { id: { in: ids } }, select: WEBHOOK_OF_DISPATCH })).map(
      (webhook) => [webhook.id, webhook],
    ),
  );
  return rows.flatMap((row) => {
    const webhook = webhooks.get(row.webhookId);
    return webhook ? [{ ...row, webhook }] : [];
  });
}

/**
 * The calls of these dispatches, by dispatch, in attempt order; a LEASED dispatch's running attempt
 * (no call row until its result is recorded) is shown as a call that has not finished.
 */
async function callsOf<Detail extends boolean>(
  sql: Sql,
  rows: Row[],
  detail: Detail,
): Promise<Map<string, Array<Detail extends true ? CallDetailRow : CallRow>>> {
  type Call = Detail extends true ? CallDetailRow : CallRow;
  const calls = new Map<string, Call[]>();
  if (rows.length === 0) return calls;
  const columns = detail
    ? `c.*`
    : `c."dispatchId", c."attempt", c."startedAt", c."finishedAt", c."errorMessage", c."responseStatus", c."responseBody"`;
  const found = await sql.query<Call>(
    `SELECT ${columns} FROM "DispatchCall" c WHERE c."dispatchId" = ANY($1::text[]) ORDER BY c."dispatchId", c."attempt"`,
    [rows.map((row) => row.id)],
  );
  for (const call of found) calls.set(call.dispatchId, [...(calls.get(call.dispatchId) ?? []), call]);
  for (const row of rows) {
    if (row.queueState !== 'LEASED' || row.leasedAt === null) continue;
    const list = calls.get(row.id) ?? [];
    if (list.some((call) => call.attempt === row.attemptCount)) continue;
    list.push({
      dispatchId: row.id,
      attempt: row.attemptCount,
      startedAt: row.leasedAt,
      finishedAt: null,
      errorMessage: null,
      responseStatus: null,
      responseBody: null,
      requestUrl: null,
      requestHeaders: null,
      requestBody: null,
      responseHeaders: null,
    } as Call);
    calls.set(row.id, list);
  }
  return calls;
}

function toCall(call: CallRow): DispatchCall {
  return {
    startedAt: call.startedAt.toISOString(),
    finishedAt: call.finishedAt?.toISOString() ?? null,
    errorMessage: call.errorMessage,
    responseStatus: call.responseStatus,
    responseBody: call.responseBody,
  };
}

function toDispatch(row: Row & { webhook: WebhookOfDispatch }, calls: CallRow[]): Dispatch {
  return {
    id: row.id,
    userId: row.userId,
    webhookId: row.webhookId,
    createdAt: row.createdAt.toISOString(),
    status: row.status,
    eventType: row.eventType,
    eventData: row.eventData ?? null,
    webhook: {
      actionType: WEBHOOK_ACTION_TYPE,
      condition: conditionOf(row.webhook),
      requestUrl: row.webhook.requestUrl,
      isAdHoc: row.webhook.isAdHoc,
    },
    calls: calls.map(toCall),
    attemptCount: row.attemptCount,
    // A running attempt has no next one yet.
    nextAttemptAt:
      row.status === 'ACTIVE' && row.queueState !== 'LEASED'
        ? (row.nextAttemptAt?.toISOString() ?? null)
        : null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    queueState: (row.queueState as QueueState | null) ?? null,
  };
}

async function dispatchesOf(prisma: PrismaClient, rows: Row[]): Promise<Dispatch[]> {
  const calls = await callsOf(sqlFor(prisma), rows, false);
  return (await withWebhooks(prisma, rows)).map((row) => toDispatch(row, calls.get(row.id) ?? []));
}

async function assertOwnWebhook(prisma: PrismaClient, userId: string, webhookId: string): Promise<void> {
  const owned = await prisma.webhook.count({ where: { id: webhookId, userId } });
  if (owned === 0) throw recordNotFound('Webhook', webhookId);
}

/** Lists a user's dispatches, newest last like every Apify list (desc=1 for newest first). */
export async function listDispatches(
  prisma: PrismaClient,
  args: { userId: string; query: DispatchListQuery; webhookId?: string },
): Promise<List<Dispatch>> {
  const { userId, query, webhookId } = args;
  if (webhookId !== undefined) await assertOwnWebhook(prisma, userId, webhookId);
  const where = ['x."userId" = $1'];
  const params: unknown[] = [userId];
  const filter = (column: string, value: string | undefined, cast = '') => {
    if (value === undefined) return;
    params.push(value);
    where.push(`x."${column}"${cast} = $${params.length}`);
  };
  filter('webhookId', webhookId);
  filter('status', query.status, '::text');
  filter('eventType', query.eventType);
  const { total, rows } = await findDispatchRows(sqlFor(prisma), {
    where,
    params,
    desc: query.desc,
    offset: query.offset,
    limit: query.limit,
  });
  return toList(query, total, await dispatchesOf(prisma, rows));
}

/** One of a user's dispatches; another user's is as missing as one that is not there. */
async function findDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Row> {
  const [row] = await sqlFor(prisma).query<Row>(
    `SELECT ${DISPATCH_COLUMNS} FROM ${queue.DISPATCH_ROWS} x LEFT JOIN "Event" e ON e."id" = x."eventId"
    WHERE x."id" = $1 AND x."userId" = $2`,
    [args.dispatchId, args.userId],
  );
  if (!row) throw recordNotFound('Webhook dispatch', args.dispatchId);
  return row;
}

export async function getDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  const [dispatch] = await dispatchesOf(prisma, [await findDispatch(prisma, args)]);
  if (!dispatch) throw recordNotFound('Webhook dispatch', args.dispatchId);
  return dispatch;
}

/** See CallRequestStateSchema. */
function requestStateOf(call: CallDetailRow): CallRequestState {
  if (call.requestHeaders !== null) return call.requestBody === null ? 'NOT_BUILT' : 'STORED';
  if (call.finishedAt === null || call.errorMessage === queue.INTERRUPTED) return 'NOT_RECORDED';
  return 'PREDATES_STORAGE';
}

/** A dispatch with each call's stored request and response headers (the dashboard's dispatch page). */
export async function getDispatchDetail(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<DispatchDetail> {
  const row = await findDispatch(prisma, args);
  const calls = (await callsOf(sqlFor(prisma), [row], true)).get(row.id) ?? [];
  const [withWebhook] = await withWebhooks(prisma, [row]);
  if (!withWebhook) throw recordNotFound('Webhook dispatch', args.dispatchId);
  return {
    ...toDispatch(withWebhook, calls),
    calls: calls.map((call) => ({
      ...toCall(call),
      attempt: call.attempt,
      requestState: requestStateOf(call),
      requestUrl: call.requestUrl,
      requestHeaders: call.requestHeaders,
      requestBody: call.requestBody,
      responseHeaders: call.responseHeaders,
    })),
  };
}

/** The dummy event of a test dispatch, shaped like a real actor run event. */
export const TEST_EVENT_DATA = { actorId: 'TEST_ACTOR_ID', actorRunId: 'TEST_ACTOR_RUN_ID' } as const;
export const TEST_RESOURCE = {
  id: 'TEST_ACTOR_RUN_ID',
  actId: 'TEST_ACTOR_ID',
  status: 'SUCCEEDED',
  startedAt: '2019-12-12T07:34:14.202Z',
  finishedAt: '2019-12-13T08:36:13.202Z',
  defaultDatasetId: 'TEST_DATASET_ID',
  defaultKeyValueStoreId: 'TEST_KEY_VALUE_STORE_ID',
} as const;

/**
 * Apify's "test webhook": a TEST event with a dummy payload, delivered like any other dispatch
 * (whatever the webhook's state, since a person asked for it explicitly), at the front of the queue.
 */
export async function testWebhook(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string },
): Promise<Dispatch> {
  await assertOwnWebhook(prisma, args.userId, args.webhookId);
  const dispatchId = newRecordId();
  await queue.enqueueTest(sqlFor(prisma), {
    id: dispatchId,
    userId: args.userId,
    webhookId: args.webhookId,
    eventType: 'TEST',
    eventData: { ...TEST_EVENT_DATA },
    resource: { ...TEST_RESOURCE },
  });
  return getDispatch(prisma, { userId: args.userId, dispatchId });
}

export async function redeliverDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  const row = await findDispatch(prisma, args);
  if (row.status === 'ACTIVE') {
    throw new AppError('invalid-input', `Invalid input: dispatch ${row.id} is still being delivered.`);
  }
  await queue.requeue(sqlFor(prisma), { ids: [row.id], fromStatuses: ['SUCCEEDED', 'FAILED'] });
  return getDispatch(prisma, args);
}

/** At most this many dispatches per bulk redelivery, so one request cannot flood the queue. */
export const BULK_REDELIVER_LIMIT = 10_000;

export async function redeliverFailedDispatches(
  prisma: PrismaClient,
  args: {
    userId: string;
    webhookId: string;
    input: z.output<typeof BulkRedeliverInputSchema>;
    limits: Limits;
  },
): Promise<{ redelivered: number; dispatchIds: string[] }> {
  const { userId, webhookId, input, limits } = args;
  await assertOwnWebhook(prisma, userId, webhookId);
  const createdAt = { gte: new Date(input.since), ...(input.until && { lte: new Date(input.until) }) };
  const candidates = await prisma.dispatch.findMany({
    where: { userId, webhookId, status: 'FAILED' satisfies DispatchStatus, createdAt },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
    take: Math.min(BULK_REDELIVER_LIMIT, limits.maxDispatchesPerRequest),
  });
  const dispatchIds = await queue.requeue(sqlFor(prisma), {
    ids: candidates.map((candidate) => candidate.id),
    fromStatuses: ['FAILED'],
  });
  return { redelivered: dispatchIds.length, dispatchIds };
}

/**
 * "Retry now": a dispatch waiting for its next attempt (a retry's backoff) is made due at once.
 * A dispatch that is not waiting for a retry (due already, running, finished, or waiting on its
 * webhook) is refused with 400, saying why.
 */
export async function retryDispatchNow(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  const row = await findDispatch(prisma, args);
  const moved = await queue.retryNow(sqlFor(prisma), args);
  if (!moved) {
    const why =
      row.status !== 'ACTIVE'
        ? 'it has finished (redeliver it instead)'
        : row.queueState === 'SCHEDULED'
          ? 'it is waiting for a slot of its webhook rate limit'
          : 'it is not waiting for a retry';
    throw new AppError('invalid-input', `Invalid input: dispatch ${row.id} cannot be retried now: ${why}.`);
  }
  return getDispatch(prisma, args);
}
