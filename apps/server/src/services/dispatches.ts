import {
  type BulkRedeliverInputSchema,
  type CallRequestState,
  type Dispatch,
  type DispatchCall,
  type DispatchDetail,
  type DispatchListQuery,
  type DispatchStatus,
  type List,
  WEBHOOK_ACTION_TYPE,
} from '@ricochet/schema';
import type { z } from 'zod';
import { INTERRUPTED } from '../delivery/stored-call.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, recordNotFound } from './errors.ts';
import { DISPATCH_CHANNEL, enqueueDispatches } from './events.ts';
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

// Only the call columns Apify's shape has: lists of up to 1,000 dispatches never read the stored
// requests and headers.
const withCalls = {
  calls: {
    orderBy: { attempt: 'asc' },
    select: {
      startedAt: true,
      finishedAt: true,
      errorMessage: true,
      responseStatus: true,
      responseBody: true,
    },
  },
} as const satisfies Prisma.DispatchInclude;
type DispatchRow = Prisma.DispatchGetPayload<{ include: typeof withCalls }> & { webhook: WebhookOfDispatch };

/**
 * Joins dispatch rows with their webhooks in one more query (dispatches have no foreign key to
 * their webhook, see schema.prisma). A dispatch whose webhook is gone is one a concurrent publish
 * left behind while the webhook was deleted; it is left out until the worker sweeps it.
 */
async function withWebhooks<Row extends { webhookId: string }>(
  prisma: PrismaClient,
  rows: Row[],
): Promise<Array<Row & { webhook: WebhookOfDispatch }>> {
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

function toCall(call: DispatchRow['calls'][number]): DispatchCall {
  return {
    startedAt: call.startedAt.toISOString(),
    finishedAt: call.finishedAt?.toISOString() ?? null,
    errorMessage: call.errorMessage,
    responseStatus: call.responseStatus,
    responseBody: call.responseBody,
  };
}

const withCallDetails = { calls: { orderBy: { attempt: 'asc' } } } as const satisfies Prisma.DispatchInclude;
type DispatchDetailRow = Prisma.DispatchGetPayload<{ include: typeof withCallDetails }> & {
  webhook: WebhookOfDispatch;
};
type CallRow = DispatchDetailRow['calls'][number];

export function toDispatch(row: DispatchRow): Dispatch {
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
      condition: conditionOf(row.webhook),
      requestUrl: row.webhook.requestUrl,
      isAdHoc: row.webhook.isAdHoc,
    },
    calls: row.calls.map(toCall),
    attemptCount: row.attemptCount,
    nextAttemptAt: row.status === 'ACTIVE' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/** Lists a user's dispatches, newest last like every Apify list (desc=1 for newest first). */
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
  const [total, rows] = await Promise.all([
    prisma.dispatch.count({ where }),
    prisma.dispatch.findMany({
      where,
      include: withCalls,
      orderBy: creationOrder(query),
      skip: query.offset,
      take: query.limit,
    }),
  ]);
  return toList(query, total, (await withWebhooks(prisma, rows)).map(toDispatch));
}

/** See CallRequestStateSchema. */
function requestStateOf(call: CallRow): CallRequestState {
  if (call.requestHeaders !== null) return call.requestBody === null ? 'NOT_BUILT' : 'STORED';
  if (call.finishedAt === null || call.errorMessage === INTERRUPTED) return 'NOT_RECORDED';
  return 'PREDATES_STORAGE';
}

function toDispatchDetail(row: DispatchDetailRow): DispatchDetail {
  return {
    ...toDispatch(row),
    calls: row.calls.map((call) => ({
      ...toCall(call),
      attempt: call.attempt,
      requestState: requestStateOf(call),
      requestUrl: call.requestUrl,
      requestHeaders: call.requestHeaders as Record<string, string> | null,
      requestBody: call.requestBody,
      responseHeaders: call.responseHeaders as Record<string, string> | null,
    })),
  };
}

/** One of a user's dispatches with `include`; another user's is as missing as one that is not there. */
async function findDispatch<Include extends Prisma.DispatchInclude>(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
  include: Include,
): Promise<Prisma.DispatchGetPayload<{ include: Include }> & { webhook: WebhookOfDispatch }> {
  const found = await prisma.dispatch.findFirst({
    where: { id: args.dispatchId, userId: args.userId },
    include,
  });
  const [row] = found
    ? await withWebhooks(prisma, [found as Prisma.DispatchGetPayload<{ include: Include }>])
    : [];
  if (!row) throw recordNotFound('Webhook dispatch', args.dispatchId);
  return row;
}

export async function getDispatch(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<Dispatch> {
  return toDispatch(await findDispatch(prisma, args, withCalls));
}

/** A dispatch with each call's stored request and response headers (the dashboard's dispatch page). */
export async function getDispatchDetail(
  prisma: PrismaClient,
  args: { userId: string; dispatchId: string },
): Promise<DispatchDetail> {
  return toDispatchDetail(await findDispatch(prisma, args, withCallDetails));
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
