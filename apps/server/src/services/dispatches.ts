import {
  type BulkRedeliverInputSchema,
  type CallRequestState,
  DISPATCH_CALLS_LIMIT,
  DISPATCH_DETAIL_CALLS,
  type Dispatch,
  type DispatchAbridged,
  type DispatchCall,
  type DispatchCallDetail,
  type DispatchDetail,
  type DispatchListQuery,
  LIST_CALLS_PER_DISPATCH,
  LIST_ITEM_MAX_BYTES,
  type List,
  type QueueState,
  WEBHOOK_ACTION_TYPE,
} from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor } from '../db/sql.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { historyWindow } from '../history/retention.ts';
import { type RequestContext, sentRequestOf, signedBySecrets } from '../outbound/stored-request.ts';
import { responseHeadersOf } from '../outbound/stored-response.ts';
import * as queue from '../queue/index.ts';
import { AppError, recordNotFound } from './errors.ts';
import type { Limits } from './limits.ts';
import { collectPage } from './list-budget.ts';
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

/**
 * A dispatch as answers read it, from the queue or the history (queue/dispatch-rows.ts), with its
 * event's data: not the queue's bookkeeping (lease, round) nor `resource`, which no answer carries
 * and which can be as large as the event data.
 */
type DispatchHead = Omit<queue.DispatchRow, 'resource'>;

/** The columns of DispatchHead over DISPATCH_ROWS (alias x) joined with the event (alias e). */
const HEAD_COLUMNS = `x."id", x."userId", x."webhookId", x."eventId", x."eventType",
  COALESCE(x."eventData", e."eventData") AS "eventData", x."status", x."attemptCount", x."createdAt",
  x."finishedAt", x."nextAttemptAt", x."queueState", x."leasedAt"`;

// Only the call columns Apify's shape has: lists and the Apify-shaped dispatch never read the
// stored requests and headers.
const CALL_COLUMNS = {
  dispatchId: true,
  attempt: true,
  startedAt: true,
  finishedAt: true,
  errorMessage: true,
  responseStatus: true,
  responseBody: true,
} as const satisfies Prisma.DispatchCallSelect;
type CallRow = Prisma.DispatchCallGetPayload<{ select: typeof CALL_COLUMNS }>;
type CallDetailRow = Prisma.DispatchCallGetPayload<object>;

/** Where the whole of a dispatch is: what an abridged one links to. */
export function dispatchDetailPath(dispatchId: string): string {
  return `/v2/webhook-dispatches/${encodeURIComponent(dispatchId)}`;
}

/**
 * The webhooks of these dispatches, in one query (dispatches have no foreign key to their webhook,
 * see schema.prisma). A dispatch whose webhook is gone is one a concurrent publish left behind while
 * the webhook was deleted; callers leave it out until the worker sweeps it.
 */
async function webhooksOf(prisma: PrismaClient, rows: Array<{ webhookId: string }>) {
  const ids = [...new Set(rows.map((row) => row.webhookId))];
  if (ids.length === 0) return new Map<string, WebhookOfDispatch>();
  const webhooks = await prisma.webhook.findMany({ where: { id: { in: ids } }, select: WEBHOOK_OF_DISPATCH });
  return new Map(webhooks.map((webhook) => [webhook.id, webhook]));
}

/** A list's filter over DISPATCH_ROWS (alias x): SQL conditions with their parameters from $1. */
type DispatchFilter = { where: string[]; params: unknown[] };

/**
 * Adds the user's history window to a filter: finished dispatches created before it are not shown
 * (retention; see history/retention.ts), dispatches still in the queue always are.
 */
export async function withinHistory(
  prisma: PrismaClient,
  userId: string,
  filter: DispatchFilter,
  alias = 'x',
): Promise<void> {
  const window = await historyWindow(prisma, userId);
  if (!window) return;
  filter.params.push(window.historyStartsAt.toISOString());
  filter.where.push(
    `(${queue.stillQueued(alias)} OR ${alias}."createdAt" >= $${filter.params.length}::timestamp(3))`,
  );
}

/** One chunk of a list's dispatch rows (without their calls), in the list's order. */
function findDispatchRows(
  prisma: PrismaClient,
  args: { filter: DispatchFilter; desc: boolean; skip: number; take: number },
): Promise<DispatchHead[]> {
  const direction = args.desc ? 'DESC' : 'ASC';
  const next = args.filter.params.length;
  // The page is chosen first and its events joined after: the index gives (userId, createdAt) order
  // only, so rows that share a createdAt (every event of one batch publish does) are sorted by id,
  // and a join below that sort would look up the event of every row of the tie, in a partition
  // that grows with the history, instead of those of the page alone.
  return sqlFor(prisma).query<DispatchHead>(
    `SELECT ${HEAD_COLUMNS} FROM (
      SELECT x.* FROM ${queue.DISPATCH_ROWS} x
      WHERE ${args.filter.where.join(' AND ')}
      ORDER BY x."createdAt" ${direction}, x."id" ${direction} OFFSET $${next + 1} LIMIT $${next + 2}
    ) x LEFT JOIN "Event" e ON e."id" = x."eventId" AND e."createdAt" = x."createdAt"
    ORDER BY x."createdAt" ${direction}, x."id" ${direction}`,
    [...args.filter.params, args.skip, args.take],
  );
}

async function countDispatchRows(prisma: PrismaClient, filter: DispatchFilter): Promise<number> {
  const [row] = await sqlFor(prisma).query<{ total: number }>(
    `SELECT count(*)::int AS "total" FROM ${queue.DISPATCH_ROWS} x WHERE ${filter.where.join(' AND ')}`,
    filter.params,
  );
  return row?.total ?? 0;
}

/**
 * The attempt a LEASED dispatch is making now has no call row until its result is recorded: shown
 * as a call that has not finished.
 */
function runningCall(row: DispatchHead): CallDetailRow | null {
  if (row.queueState !== 'LEASED' || row.leasedAt === null) return null;
  return {
    dispatchId: row.id,
    attempt: row.attemptCount,
    webhookId: row.webhookId,
    startedAt: row.leasedAt,
    finishedAt: null,
    outcome: null,
    errorMessage: null,
    responseStatus: null,
    responseBody: null,
    requestUrl: null,
    requestHeaders: null,
    requestBody: null,
    responseHeaders: null,
    requestTimestamp: null,
    requestSignatures: null,
    requestParts: null,
  };
}

/**
 * The latest `perDispatch` calls of each dispatch (Apify's five fields), oldest first. A dispatch's
 * calls are numbered 1..attemptCount, so "the latest" is an attempt range per dispatch: the query
 * reads no call it does not return, however often a dispatch was redelivered.
 */
async function findLatestCalls(
  prisma: PrismaClient,
  dispatches: DispatchHead[],
  perDispatch: number,
): Promise<Map<string, CallRow[]>> {
  const byDispatch = new Map<string, CallRow[]>(dispatches.map((dispatch) => [dispatch.id, []]));
  if (dispatches.length === 0) return byDispatch;
  const calls = await prisma.dispatchCall.findMany({
    where: {
      OR: dispatches.map((dispatch) => ({
        dispatchId: dispatch.id,
        attempt: { gt: dispatch.attemptCount - perDispatch },
        startedAt: { gte: queue.earliestCallStart(dispatch.createdAt) },
      })),
    },
    select: CALL_COLUMNS,
    orderBy: [{ dispatchId: 'asc' }, { attempt: 'asc' }],
  });
  for (const call of calls) byDispatch.get(call.dispatchId)?.push(call);
  for (const dispatch of dispatches) {
    const running = runningCall(dispatch);
    const list = byDispatch.get(dispatch.id);
    if (running && list && !list.some((call) => call.attempt === running.attempt)) list.push(running);
  }
  // More than asked for only if attempts were numbered past attemptCount; keep the latest.
  for (const [id, list] of byDispatch)
    if (list.length > perDispatch) byDispatch.set(id, list.slice(-perDispatch));
  return byDispatch;
}

/** A page of a dispatch's calls in detail (requests included), oldest first: the latest `take` before `before`. */
async function findDetailCalls(
  prisma: PrismaClient,
  args: { dispatchId: string; createdAt: Date; before: number | undefined; take: number },
): Promise<CallDetailRow[]> {
  const calls = await prisma.dispatchCall.findMany({
    where: {
      dispatchId: args.dispatchId,
      startedAt: { gte: queue.earliestCallStart(args.createdAt) },
      ...(args.before !== undefined && { attempt: { lt: args.before } }),
    },
    orderBy: { attempt: 'desc' },
    take: args.take,
  });
  return calls.reverse();
}

/** Calls `after` the attempt given, in order, `take` at a time (the stream of every call). */
function findCallsAfter(
  prisma: PrismaClient,
  args: { dispatchId: string; createdAt: Date; after: number; take: number },
): Promise<CallRow[]> {
  return prisma.dispatchCall.findMany({
    where: {
      dispatchId: args.dispatchId,
      attempt: { gt: args.after },
      startedAt: { gte: queue.earliestCallStart(args.createdAt) },
    },
    select: CALL_COLUMNS,
    orderBy: { attempt: 'asc' },
    take: args.take,
  });
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

/** The Apify-shaped dispatch, with the calls given (and what was left out, if anything). */
export function toDispatch(
  row: DispatchHead,
  webhook: WebhookOfDispatch,
  calls: DispatchCall[],
  omitted: DispatchAbridged['omitted'] = [],
): Dispatch {
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
      condition: conditionOf(webhook),
      requestUrl: webhook.requestUrl,
      isAdHoc: webhook.isAdHoc,
    },
    calls,
    attemptCount: row.attemptCount,
    // A running attempt has no next one yet.
    nextAttemptAt:
      row.status === 'ACTIVE' && row.queueState !== 'LEASED'
        ? (row.nextAttemptAt?.toISOString() ?? null)
        : null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    queueState: (row.queueState as QueueState | null) ?? null,
    ...(omitted.length > 0 && { abridged: { omitted, detailPath: dispatchDetailPath(row.id) } }),
  };
}

/** JSON sizes of list items, measured while abridging them, so the page budget need not measure again. */
const measuredSizes = new WeakMap<object, number>();

/**
 * A dispatch as a list carries it: its latest LIST_CALLS_PER_DISPATCH calls, and, when its JSON
 * would still exceed LIST_ITEM_MAX_BYTES, without its calls' response bodies, then without its
 * event data. `abridged` says what was left out and where the whole dispatch is.
 */
function toListItem(row: DispatchHead, webhook: WebhookOfDispatch, calls: CallRow[]): Dispatch {
  const omitted: DispatchAbridged['omitted'] =
    row.attemptCount > LIST_CALLS_PER_DISPATCH ? ['earlierCalls'] : [];
  let item = toDispatch(row, webhook, calls.map(toCall), omitted);
  let size = Buffer.byteLength(JSON.stringify(item));
  if (size > LIST_ITEM_MAX_BYTES) {
    omitted.push('responseBodies');
    const bodiless = calls.map((call) => ({ ...toCall(call), responseBody: null }));
    item = toDispatch(row, webhook, bodiless, omitted);
    size = Buffer.byteLength(JSON.stringify(item));
    if (size > LIST_ITEM_MAX_BYTES) {
      omitted.push('eventData');
      item = { ...toDispatch(row, webhook, bodiless, omitted), eventData: null };
      size = Buffer.byteLength(JSON.stringify(item));
    }
  }
  measuredSizes.set(item, size);
  return item;
}

/**
 * Lists a user's dispatches, newest last like every Apify list (desc=1 for newest first): a page of
 * at most LIST_PAGE_MAX_BYTES, read in chunks (see collectPage), whatever the dispatches hold.
 */
export async function listDispatches(
  prisma: PrismaClient,
  args: { userId: string; query: DispatchListQuery; webhookId?: string },
): Promise<List<Dispatch>> {
  const { userId, query, webhookId } = args;
  if (webhookId !== undefined) {
    const owned = await prisma.webhook.count({ where: { id: webhookId, userId } });
    if (owned === 0) throw recordNotFound('Webhook', webhookId);
  }
  // Rows of a webhook that is gone are left out: a publish racing the webhook's deletion left them,
  // and the worker deletes them.
  const filter: DispatchFilter = {
    where: ['x."userId" = $1', 'EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = x."webhookId")'],
    params: [userId],
  };
  const by = (column: string, value: string | undefined, cast = '') => {
    if (value === undefined) return;
    filter.params.push(value);
    filter.where.push(`x."${column}"${cast} = $${filter.params.length}`);
  };
  by('webhookId', webhookId);
  by('status', query.status, '::text');
  by('eventType', query.eventType);
  await withinHistory(prisma, userId, filter);
  const total = await countDispatchRows(prisma, filter);
  const items = await collectPage({
    limit: query.limit,
    fetchRows: (skip, take) =>
      findDispatchRows(prisma, { filter, desc: query.desc, skip: query.offset + skip, take }),
    toItems: async (rows) => {
      const [webhooks, calls] = await Promise.all([
        webhooksOf(prisma, rows),
        findLatestCalls(prisma, rows, LIST_CALLS_PER_DISPATCH),
      ]);
      return rows.flatMap((row) => {
        const webhook = webhooks.get(row.webhookId);
        return webhook ? [toListItem(row, webhook, calls.get(row.id) ?? [])] : [];
      });
    },
    sizeOf: (item) => measuredSizes.get(item) ?? Buffer.byteLength(JSON.stringify(item)),
  });
  return toList(query, total, items);
}

/** See CallRequestStateSchema. */
function requestStateOf(call: CallDetailRow): CallRequestState {
  // Stored compactly (outbound/stored-request.ts): rebuilt as it was sent.
  if (call.requestTimestamp !== null) return 'STORED';
  if (call.requestHeaders !== null) return call.requestBody === null ? 'NOT_BUILT' : 'STORED';
  if (call.finishedAt === null || call.errorMessage === queue.INTERRUPTED) return 'NOT_RECORDED';
  return 'PREDATES_STORAGE';
}

function toCallDetail(call: CallDetailRow, context: RequestContext): DispatchCallDetail {
  const { requestHeaders, requestBody } = sentRequestOf(call, context);
  return {
    ...toCall(call),
    attempt: call.attempt,
    requestState: requestStateOf(call),
    requestUrl: call.requestUrl,
    requestHeaders,
    requestBody,
    responseHeaders: responseHeadersOf(call.responseHeaders, call.finishedAt),
  };
}

/**
 * What a dispatch's compactly stored calls are rebuilt from: the values its templates were rendered
 * with, read as the worker's claim reads them (claim.ts: the event's data, resource and createdAt,
 * or a test dispatch's own). Read only when a call's body is the default payload; null variables
 * when the event is gone.
 */
async function requestContextOf(
  prisma: PrismaClient,
  row: DispatchHead,
  calls: CallDetailRow[],
): Promise<RequestContext> {
  const secrets = calls.some(signedBySecrets)
    ? (
        await prisma.webhookSecret.findMany({ where: { webhookId: row.webhookId }, select: { secret: true } })
      ).map((entry) => entry.secret)
    : [];
  const context: RequestContext = { dispatchId: row.id, webhookId: row.webhookId, variables: null, secrets };
  if (!calls.some((call) => call.requestTimestamp !== null && call.requestBody === null)) return context;
  const [event] = await sqlFor(prisma).query<{ resource: Record<string, unknown> | null; createdAt: Date }>(
    `SELECT COALESCE(x."resource", e."resource") AS "resource", COALESCE(e."createdAt", x."createdAt") AS "createdAt"
    FROM ${queue.DISPATCH_ROWS} x LEFT JOIN "Event" e ON e."id" = x."eventId" AND e."createdAt" = x."createdAt"
    WHERE x."id" = $1 AND (x."eventId" IS NULL OR e."id" IS NOT NULL OR x."eventData" IS NOT NULL)`,
    [row.id],
  );
  if (!event || row.eventData === null) return context;
  return {
    ...context,
    variables: {
      userId: row.userId,
      createdAt: event.createdAt.toISOString(),
      eventType: row.eventType,
      eventData: row.eventData,
      resource: event.resource ?? null,
    },
  };
}

/** What a dispatch's requests are rendered from: its event (the queue's or history's row, with the event's data). */
export type DispatchEventRow = {
  id: string;
  userId: string;
  webhookId: string;
  eventType: string;
  createdAt: Date;
  eventData: Record<string, unknown> | null;
  resource: Record<string, unknown> | null;
};

/**
 * One of a user's dispatches, live or finished, with its event's data: a dispatch of an event keeps
 * no copy of the data (the event has it), a test dispatch does. Undefined when missing, another
 * user's, or past the user's history.
 */
export async function findDispatchEvent(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<DispatchEventRow | undefined> {
  const filter: DispatchFilter = {
    where: ['x."id" = $1', 'x."userId" = $2'],
    params: [args.dispatchId, args.userId],
  };
  await withinHistory(prisma, args.userId, filter);
  const [row] = await sqlFor(prisma).query<DispatchEventRow>(
    `SELECT x."id", x."userId", x."webhookId", x."eventType", x."createdAt",
       COALESCE(x."eventData", e."eventData") AS "eventData", COALESCE(x."resource", e."resource") AS "resource"
     FROM ${queue.DISPATCH_ROWS} x LEFT JOIN "Event" e ON e."id" = x."eventId" AND e."createdAt" = x."createdAt"
     WHERE ${filter.where.join(' AND ')}`,
    filter.params,
  );
  return row;
}

/** One of a user's dispatches and its webhook; another user's is as missing as one that is not there. */
async function findDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<{ row: DispatchHead; webhook: WebhookOfDispatch }> {
  const filter: DispatchFilter = {
    where: ['x."id" = $1', 'x."userId" = $2'],
    params: [args.dispatchId, args.userId],
  };
  await withinHistory(prisma, args.userId, filter);
  const [row] = await sqlFor(prisma).query<DispatchHead>(
    `SELECT ${HEAD_COLUMNS} FROM ${queue.DISPATCH_ROWS} x LEFT JOIN "Event" e ON e."id" = x."eventId" AND e."createdAt" = x."createdAt"
    WHERE ${filter.where.join(' AND ')}`,
    filter.params,
  );
  const webhook = row ? (await webhooksOf(prisma, [row])).get(row.webhookId) : undefined;
  if (!row || !webhook) throw recordNotFound('Webhook dispatch', args.dispatchId);
  return { row, webhook };
}

/**
 * A dispatch with its latest DISPATCH_CALLS_LIMIT calls (`abridged` says when there were more):
 * tRPC's dispatches.get and the answers of the actions on a dispatch. `GET /v2/webhook-dispatches/:id`
 * streams every call instead (dispatchWithAllCallsAsJson).
 */
export async function getDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  const { row, webhook } = await findDispatch(prisma, args);
  const calls = (await findLatestCalls(prisma, [row], DISPATCH_CALLS_LIMIT)).get(row.id) ?? [];
  return toDispatch(
    row,
    webhook,
    calls.map(toCall),
    row.attemptCount > DISPATCH_CALLS_LIMIT ? ['earlierCalls'] : [],
  );
}

/** Calls read per query while a dispatch with all its calls is streamed. */
const STREAMED_CALLS_PER_QUERY = 100;

/**
 * Apify's "webhook dispatch with all details": the `{data: ...}` answer as JSON text, produced piece
 * by piece, every call included, however many a dispatch has (a dispatch redelivered often has
 * thousands). The dispatch is looked up first (a missing one throws before anything is written);
 * then its calls are read STREAMED_CALLS_PER_QUERY at a time as the client takes the text, so the
 * memory this takes is one query's calls, not the dispatch's.
 */
export async function dispatchWithAllCallsAsJson(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<AsyncIterable<string>> {
  const { row, webhook } = await findDispatch(prisma, args);
  const { calls: _calls, ...head } = toDispatch(row, webhook, []);
  return (async function* () {
    // The dispatch's fields, then "calls" last, filled as the calls are read.
    yield `{"data":${JSON.stringify(head).slice(0, -1)},"calls":[`;
    let after = 0;
    let first = true;
    for (;;) {
      const calls = await findCallsAfter(prisma, {
        dispatchId: row.id,
        createdAt: row.createdAt,
        after,
        take: STREAMED_CALLS_PER_QUERY,
      });
      if (calls.length === 0) break;
      const text = calls.map((call) => JSON.stringify(toCall(call))).join(',');
      yield first ? text : `,${text}`;
      first = false;
      after = (calls.at(-1) as CallRow).attempt;
      if (calls.length < STREAMED_CALLS_PER_QUERY) break;
    }
    const running = runningCall(row);
    if (running && running.attempt > after) yield `${first ? '' : ','}${JSON.stringify(toCall(running))}`;
    yield ']}}';
  })();
}

/**
 * A dispatch with DISPATCH_DETAIL_CALLS of its calls in detail, each with its stored request and
 * response headers (the dashboard's dispatch page): the latest, or those before `callsBefore`.
 * `abridged` says when earlier calls exist.
 */
export async function getDispatchDetail(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string; callsBefore?: number | undefined },
): Promise<DispatchDetail> {
  const { row, webhook } = await findDispatch(prisma, args);
  const calls = await findDetailCalls(prisma, {
    dispatchId: row.id,
    createdAt: row.createdAt,
    before: args.callsBefore,
    take: DISPATCH_DETAIL_CALLS,
  });
  const running = runningCall(row);
  if (running && args.callsBefore === undefined && !calls.some((call) => call.attempt === running.attempt)) {
    calls.push(running);
  }
  const earliest = calls[0]?.attempt ?? args.callsBefore ?? 1;
  const dispatch = toDispatch(row, webhook, [], earliest > 1 ? ['earlierCalls'] : []);
  const context = await requestContextOf(prisma, row, calls);
  return { ...dispatch, calls: calls.map((call) => toCallDetail(call, context)) };
}

export async function redeliverDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  const { row } = await findDispatch(prisma, args);
  if (row.status === 'ACTIVE') {
    throw new AppError('invalid-input', `Invalid input: dispatch ${row.id} is still being delivered.`);
  }
  await queue.requeue(sqlFor(prisma), { ids: [row.id], fromStatuses: ['SUCCEEDED', 'FAILED'] });
  return getDispatch(prisma, args);
}

/**
 * "Retry now": a dispatch that waits on its backoff is attempted now, at the front of the queue,
 * and the workers are told (NOTIFY). Its retry schedule and budget carry on as they were (a
 * redelivery is for finished dispatches). Refused, saying why, once the dispatch has finished,
 * while an attempt of it is running, while its webhook is not ACTIVE (no attempt would be made),
 * and while it waits for its host, a rate limit's slot or its webhook's circuit (those are not
 * skipped).
 */
export async function retryDispatchNow(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  const { row, webhook } = await findDispatch(prisma, args);
  if (row.status !== 'ACTIVE') {
    throw new AppError(
      'invalid-input',
      `Invalid input: dispatch ${row.id} has finished (${row.status}); redeliver it to send it again.`,
    );
  }
  const { state } = await prisma.webhook.findUniqueOrThrow({
    where: { id: webhook.id },
    select: { state: true },
  });
  if (state !== 'ACTIVE' && row.eventId !== null) {
    throw new AppError(
      'invalid-input',
      `Invalid input: the dispatch's webhook is ${state === 'STOPPED' ? 'paused' : 'stopped after too many errors'}; enable it first.`,
    );
  }
  if (!(await queue.retryNow(sqlFor(prisma), args))) {
    const why: Record<string, string> = {
      LEASED: 'an attempt of it is running right now',
      READY: 'it is due already and goes with the next claim',
      HOST_WAIT: 'it waits for its host, which has as many calls in flight as allowed',
      PACED: "it waits for a slot of its webhook's rate limit",
      HELD: "its webhook's circuit is open: it goes when the endpoint answers a probe",
      SCHEDULED: "it waits for a slot of its webhook's rate limit",
    };
    throw new AppError(
      'invalid-input',
      `Invalid input: dispatch ${row.id} cannot be retried now: ${why[row.queueState ?? ''] ?? 'it is not waiting for a retry'}.`,
    );
  }
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
  const owned = await prisma.webhook.count({ where: { id: webhookId, userId } });
  if (owned === 0) throw recordNotFound('Webhook', webhookId);
  // Not before the user's history window: what the user cannot see is not redelivered.
  const window = await historyWindow(prisma, userId);
  const since = new Date(
    Math.max(new Date(input.since).getTime(), window?.historyStartsAt.getTime() ?? Number.NEGATIVE_INFINITY),
  );
  const createdAt = { gte: since, ...(input.until && { lte: new Date(input.until) }) };
  const candidates = await prisma.dispatch.findMany({
    where: { userId, webhookId, status: 'FAILED', createdAt },
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
