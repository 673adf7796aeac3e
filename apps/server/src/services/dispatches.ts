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
  type DispatchStatus,
  LIST_CALLS_PER_DISPATCH,
  LIST_ITEM_MAX_BYTES,
  type List,
  WEBHOOK_ACTION_TYPE,
} from '@ricochet/schema';
import type { z } from 'zod';
import { INTERRUPTED } from '../delivery/stored-call.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, recordNotFound } from './errors.ts';
import { DISPATCH_CHANNEL, enqueueDispatches } from './events.ts';
import { collectPage } from './list-budget.ts';
import { creationOrder, toList } from './pagination.ts';
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

// The dispatch columns an answer shows: not the queue's bookkeeping (lease, round) nor `resource`,
// which no answer carries and which can be as large as the event data.
const DISPATCH_COLUMNS = {
  id: true,
  userId: true,
  webhookId: true,
  createdAt: true,
  status: true,
  eventType: true,
  eventData: true,
  attemptCount: true,
  nextAttemptAt: true,
  finishedAt: true,
} as const satisfies Prisma.DispatchSelect;
type DispatchHead = Prisma.DispatchGetPayload<{ select: typeof DISPATCH_COLUMNS }>;

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

/** One chunk of a list's dispatch rows (without their calls), in the list's order. */
function findDispatchRows(
  prisma: PrismaClient,
  args: { where: Prisma.DispatchWhereInput; query: DispatchListQuery; skip: number; take: number },
): Promise<DispatchHead[]> {
  return prisma.dispatch.findMany({
    where: args.where,
    select: DISPATCH_COLUMNS,
    orderBy: creationOrder(args.query),
    skip: args.skip,
    take: args.take,
  });
}

/**
 * The latest `perDispatch` calls of each dispatch (Apify's five fields), oldest first. A dispatch's
 * calls are numbered 1..attemptCount, so "the latest" is an attempt range per dispatch: the query
 * reads no call it does not return, however often a dispatch was redelivered.
 */
async function findLatestCalls(
  prisma: PrismaClient,
  dispatches: Array<Pick<DispatchHead, 'id' | 'attemptCount'>>,
  perDispatch: number,
): Promise<Map<string, CallRow[]>> {
  const byDispatch = new Map<string, CallRow[]>(dispatches.map((dispatch) => [dispatch.id, []]));
  if (dispatches.length === 0) return byDispatch;
  const calls = await prisma.dispatchCall.findMany({
    where: {
      OR: dispatches.map((dispatch) => ({
        dispatchId: dispatch.id,
        attempt: { gt: dispatch.attemptCount - perDispatch },
      })),
    },
    select: CALL_COLUMNS,
    orderBy: [{ dispatchId: 'asc' }, { attempt: 'asc' }],
  });
  for (const call of calls) byDispatch.get(call.dispatchId)?.push(call);
  // More than asked for only if attempts were numbered past attemptCount; keep the latest.
  for (const [id, list] of byDispatch)
    if (list.length > perDispatch) byDispatch.set(id, list.slice(-perDispatch));
  return byDispatch;
}

/** A page of a dispatch's calls in detail (requests included), oldest first: the latest `take` before `before`. */
async function findDetailCalls(
  prisma: PrismaClient,
  args: { dispatchId: string; before: number | undefined; take: number },
): Promise<CallDetailRow[]> {
  const calls = await prisma.dispatchCall.findMany({
    where: {
      dispatchId: args.dispatchId,
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
  args: { dispatchId: string; after: number; take: number },
): Promise<CallRow[]> {
  return prisma.dispatchCall.findMany({
    where: { dispatchId: args.dispatchId, attempt: { gt: args.after } },
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
    eventData: (row.eventData as Record<string, unknown> | null) ?? null,
    webhook: {
      actionType: WEBHOOK_ACTION_TYPE,
      condition: conditionOf(webhook),
      requestUrl: webhook.requestUrl,
      isAdHoc: webhook.isAdHoc,
    },
    calls,
    attemptCount: row.attemptCount,
    nextAttemptAt: row.status === 'ACTIVE' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
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
  const where: Prisma.DispatchWhereInput = {
    userId,
    ...(webhookId !== undefined && { webhookId }),
    ...(query.status !== undefined && { status: query.status }),
    ...(query.eventType !== undefined && { eventType: query.eventType }),
  };
  const total = await prisma.dispatch.count({ where });
  const items = await collectPage({
    limit: query.limit,
    fetchRows: (skip, take) => findDispatchRows(prisma, { where, query, skip: query.offset + skip, take }),
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
  if (call.requestHeaders !== null) return call.requestBody === null ? 'NOT_BUILT' : 'STORED';
  if (call.finishedAt === null || call.errorMessage === INTERRUPTED) return 'NOT_RECORDED';
  return 'PREDATES_STORAGE';
}

function toCallDetail(call: CallDetailRow): DispatchCallDetail {
  return {
    ...toCall(call),
    attempt: call.attempt,
    requestState: requestStateOf(call),
    requestUrl: call.requestUrl,
    requestHeaders: call.requestHeaders as Record<string, string> | null,
    requestBody: call.requestBody,
    responseHeaders: call.responseHeaders as Record<string, string> | null,
  };
}

/** One of a user's dispatches and its webhook; another user's is as missing as one that is not there. */
async function findDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<{ row: DispatchHead; webhook: WebhookOfDispatch }> {
  const row = await prisma.dispatch.findFirst({
    where: { id: args.dispatchId, userId: args.userId },
    select: DISPATCH_COLUMNS,
  });
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
    before: args.callsBefore,
    take: DISPATCH_DETAIL_CALLS,
  });
  const earliest = calls[0]?.attempt ?? args.callsBefore ?? 1;
  const dispatch = toDispatch(row, webhook, [], earliest > 1 ? ['earlierCalls'] : []);
  return { ...dispatch, calls: calls.map(toCallDetail) };
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
 * (whatever the webhook's state, since a person asked for it explicitly).
 */
export async function testWebhook(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string },
): Promise<Dispatch> {
  const webhook = await prisma.webhook.findFirst({ where: { id: args.webhookId, userId: args.userId } });
  if (!webhook) throw recordNotFound('Webhook', args.webhookId);
  const [dispatchId] = await prisma.$transaction((tx) =>
    enqueueDispatches(tx, {
      userId: args.userId,
      webhookIds: [webhook.id],
      eventId: null,
      eventType: 'TEST',
      eventData: { ...TEST_EVENT_DATA },
      resource: { ...TEST_RESOURCE },
    }),
  );
  return getDispatch(prisma, { userId: args.userId, dispatchId: dispatchId as string });
}

/**
 * Puts finished dispatches back in the queue with a full retry budget (roundStartAttempt), keeping
 * their call history and id (so receivers that dedupe on webhook-id see the same message).
 */
async function requeue(
  prisma: PrismaClient,
  ids: string[],
  fromStatuses: DispatchStatus[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      UPDATE "Dispatch"
      SET "status" = 'ACTIVE', "nextAttemptAt" = ${new Date()}, "finishedAt" = NULL,
          "leaseExpiresAt" = NULL, "leasedBy" = NULL, "roundStartAttempt" = "attemptCount"
      WHERE "id" = ANY(${ids}::text[]) AND "status"::text = ANY(${fromStatuses}::text[])
      RETURNING "id"`;
    if (rows.length > 0) await tx.$executeRaw`SELECT pg_notify(${DISPATCH_CHANNEL}, '')`;
    return rows.map((row) => row.id);
  });
}

export async function redeliverDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  const row = await prisma.dispatch.findFirst({ where: { id: args.dispatchId, userId: args.userId } });
  if (!row) throw recordNotFound('Webhook dispatch', args.dispatchId);
  if (row.status === 'ACTIVE') {
    throw new AppError('invalid-input', `Invalid input: dispatch ${row.id} is still being delivered.`);
  }
  await requeue(prisma, [row.id], ['SUCCEEDED', 'FAILED']);
  return getDispatch(prisma, args);
}

/**
 * Attempts a dispatch that waits on its backoff now: its next attempt becomes due at once and the
 * workers are told (NOTIFY). Its retry schedule and budget carry on as they were (a redelivery is
 * for finished dispatches). Refused, saying why, once the dispatch has finished, while an attempt
 * of it is running (a worker holds its lease), and while its webhook is not ACTIVE (no attempt
 * would be made). Written against today's Dispatch table, where the row is the queue entry.
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
  if (state !== 'ACTIVE') {
    throw new AppError(
      'invalid-input',
      `Invalid input: the dispatch's webhook is ${state === 'STOPPED' ? 'paused' : 'stopped after too many errors'}; enable it first.`,
    );
  }
  const made = await prisma.$transaction(async (tx) => {
    const due = await tx.$queryRaw<Array<{ id: string }>>`
      UPDATE "Dispatch" SET "nextAttemptAt" = timezone('UTC', now())
      WHERE "id" = ${row.id} AND "userId" = ${args.userId} AND "status" = 'ACTIVE'
        AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= timezone('UTC', now()))
      RETURNING "id"`;
    if (due.length > 0) await tx.$executeRaw`SELECT pg_notify(${DISPATCH_CHANNEL}, '')`;
    return due.length > 0;
  });
  if (!made) {
    throw new AppError(
      'invalid-input',
      `Invalid input: an attempt of dispatch ${row.id} is running right now.`,
    );
  }
  return getDispatch(prisma, args);
}

/** At most this many dispatches per bulk redelivery, so one request cannot flood the queue. */
export const BULK_REDELIVER_LIMIT = 10_000;

export async function redeliverFailedDispatches(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string; input: z.output<typeof BulkRedeliverInputSchema> },
): Promise<{ redelivered: number; dispatchIds: string[] }> {
  const { userId, webhookId, input } = args;
  const owned = await prisma.webhook.count({ where: { id: webhookId, userId } });
  if (owned === 0) throw recordNotFound('Webhook', webhookId);
  const createdAt = { gte: new Date(input.since), ...(input.until && { lte: new Date(input.until) }) };
  const candidates = await prisma.dispatch.findMany({
    where: { userId, webhookId, status: 'FAILED', createdAt },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
    take: BULK_REDELIVER_LIMIT,
  });
  const dispatchIds = await requeue(
    prisma,
    candidates.map((candidate) => candidate.id),
    ['FAILED'],
  );
  return { redelivered: dispatchIds.length, dispatchIds };
}
