import {
  type CreateWebhookData,
  type List,
  type PaginationQuery,
  type RotateWebhookSecretInputSchema,
  type UpdateWebhookData,
  WEBHOOK_ACTION_TYPE,
  type Webhook,
  type WebhookCircuit,
  type WebhookCondition,
  type WebhookListItem,
  type WebhookSecrets,
} from '@ricochet/schema';
import type { z } from 'zod';
import { sqlFor, sqlInPrismaTransaction } from '../db/sql.ts';
import { Prisma, type PrismaClient, type Webhook as WebhookRow } from '../generated/prisma/client.ts';
import { hostKeyOf } from '../outbound/host-key.ts';
import {
  emitOperationalEvents,
  type OperationalEvent,
  releaseHeld,
  releasePaced,
  removeWebhook,
  type WebhookColumns,
  webhookRef,
} from '../queue/index.ts';
import { AppError, recordNotFound } from './errors.ts';
import { assertEventTypesKnown } from './event-types.ts';
import { newRecordId, newWebhookSecret } from './ids.ts';
import type { Limits } from './limits.ts';
import { collectPage } from './list-budget.ts';

import { creationOrder, toList } from './pagination.ts';
import { statsOf, type WebhookStats, webhookStats } from './webhook-stats.ts';

type ConditionColumns = Pick<WebhookRow, 'conditionActorId' | 'conditionActorTaskId' | 'conditionActorRunId'>;

export function conditionOf(row: ConditionColumns): WebhookCondition {
  return {
    actorId: row.conditionActorId,
    actorTaskId: row.conditionActorTaskId,
    actorRunId: row.conditionActorRunId,
  };
}

export function circuitOf(
  row: Pick<WebhookRow, 'circuitOpenedAt' | 'circuitProbeAt' | 'circuitOpenings' | 'circuitLastError'>,
  stats: Pick<WebhookStats, 'callsWithoutResponse'>,
): WebhookCircuit {
  return {
    state: row.circuitOpenedAt === null ? 'CLOSED' : 'OPEN',
    openedAt: row.circuitOpenedAt?.toISOString() ?? null,
    nextProbeAt: row.circuitOpenedAt === null ? null : (row.circuitProbeAt?.toISOString() ?? null),
    failedProbes: row.circuitOpenings,
    lastError: row.circuitOpenedAt === null ? null : row.circuitLastError,
    callsWithoutResponse: row.circuitOpenedAt === null ? null : stats.callsWithoutResponse,
  };
}

/**
 * The columns a list item does not show: templates, static headers and properties (together up to
 * ~400 KB a webhook). Lists read the rows without them.
 */
export const WEBHOOK_DEFINITION_COLUMNS = {
  payloadTemplate: true,
  headersTemplate: true,
  headers: true,
  properties: true,
} as const satisfies Prisma.WebhookOmit;
export type WebhookListRow = Omit<WebhookRow, keyof typeof WEBHOOK_DEFINITION_COLUMNS>;

export function toWebhookListItem(row: WebhookListRow, stats: WebhookStats): WebhookListItem {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    modifiedAt: row.modifiedAt.toISOString(),
    userId: row.userId,
    isAdHoc: row.isAdHoc,
    isApifyIntegration: false,
    isEnabled: row.state === 'ACTIVE',
    actionType: WEBHOOK_ACTION_TYPE,
    shouldInterpolateStrings: row.shouldInterpolateStrings,
    eventTypes: row.eventTypes,
    condition: conditionOf(row),
    ignoreSslErrors: row.ignoreSslErrors,
    doNotRetry: row.doNotRetry,
    requestUrl: row.requestUrl,
    description: row.description,
    state: row.state,
    lastDispatch: stats.lastDispatch,
    stats: { totalDispatches: stats.totalDispatches },
    rateLimitPerSecond: row.rateLimitPerSecond,
    circuit: circuitOf(row, stats),
  };
}

export function toWebhook(row: WebhookRow, stats: WebhookStats): Webhook {
  return {
    ...toWebhookListItem(row, stats),
    payloadTemplate: row.payloadTemplate,
    headersTemplate: row.headersTemplate,
    headers: (row.headers as Record<string, string> | null) ?? null,
    properties: (row.properties as Record<string, unknown> | null) ?? null,
    errorsEmail: row.errorsEmail,
    propagateTraceContext: row.propagateTraceContext,
  };
}

/** JSON columns take Prisma.DbNull, not null, to store SQL NULL. */
function jsonOrNull(value: Record<string, unknown> | null | undefined) {
  return value ? (value as Prisma.InputJsonObject) : Prisma.DbNull;
}

/**
 * Column values for the fields an input sets. `undefined` leaves a column alone (partial update);
 * `null` sets it back to its default, as Apify's PUT does.
 */
function columnsFrom(input: UpdateWebhookData) {
  const columns: Prisma.WebhookUncheckedUpdateInput = {};
  if (input.isAdHoc !== undefined) columns.isAdHoc = input.isAdHoc ?? false;
  // null for a field every webhook needs leaves it as it is (Apify's WebhookUpdate allows null).
  if (input.eventTypes !== undefined && input.eventTypes !== null) {
    columns.eventTypes = [...new Set(input.eventTypes)];
  }
  if (input.condition !== undefined) {
    // "" and null both leave a field out of the condition, as in Apify's WebhookCondition.
    columns.conditionActorId = input.condition?.actorId || null;
    columns.conditionActorTaskId = input.condition?.actorTaskId || null;
    columns.conditionActorRunId = input.condition?.actorRunId || null;
  }
  if (input.ignoreSslErrors !== undefined) columns.ignoreSslErrors = input.ignoreSslErrors ?? false;
  if (input.doNotRetry !== undefined) columns.doNotRetry = input.doNotRetry ?? false;
  if (input.requestUrl !== undefined && input.requestUrl !== null) {
    columns.requestUrl = input.requestUrl;
    columns.hostKey = hostKeyOf(input.requestUrl);
  }
  if (input.rateLimitPerSecond !== undefined) columns.rateLimitPerSecond = input.rateLimitPerSecond ?? null;
  if (input.errorsEmail !== undefined) columns.errorsEmail = input.errorsEmail ?? null;
  if (input.propagateTraceContext !== undefined) {
    columns.propagateTraceContext = input.propagateTraceContext ?? true;
  }
  // An empty template means "none" (Apify's own examples send ""), so the default payload is used.
  if (input.payloadTemplate !== undefined) columns.payloadTemplate = input.payloadTemplate || null;
  if (input.headersTemplate !== undefined) columns.headersTemplate = input.headersTemplate || null;
  if (input.description !== undefined) columns.description = input.description ?? null;
  if (input.shouldInterpolateStrings !== undefined) {
    columns.shouldInterpolateStrings = input.shouldInterpolateStrings ?? false;
  }
  if (input.headers !== undefined) columns.headers = jsonOrNull(input.headers);
  if (input.properties !== undefined) columns.properties = jsonOrNull(input.properties);
  if (input.state !== undefined) {
    columns.state = input.state ?? 'ACTIVE';
    // Switching a webhook back on forgives its past failures; otherwise one more would stop it again.
    if (columns.state === 'ACTIVE') columns.failuresCountedFrom = new Date();
  }
  return columns;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export type CreateWebhookResult = { webhook: Webhook; created: boolean };

/**
 * Creates a webhook. With an idempotencyKey, a repeat returns the first webhook and creates nothing,
 * also when two requests race (the unique index decides, the loser reads the winner's row).
 */
export async function createWebhook(
  prisma: PrismaClient,
  args: { userId: string; input: CreateWebhookData; limits: Limits },
): Promise<CreateWebhookResult> {
  const { userId, input, limits } = args;
  // An empty key is no key, as Apify's schema allows "".
  const idempotencyKey = input.idempotencyKey || null;
  const findByKey = async () =>
    idempotencyKey
      ? prisma.webhook.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey } } })
      : null;

  const existing = await findByKey();
  if (existing) return { webhook: await withStats(prisma, existing), created: false };

  await assertEventTypesKnown(prisma, { userId, eventTypes: input.eventTypes });
  const id = newRecordId();
  const now = new Date();
  try {
    const row = await prisma.$transaction(async (tx) => {
      // The user's row is locked while its webhooks are counted, so two creations at once cannot
      // both take the last place (a rare write, never on the publish or delivery path).
      await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${userId} FOR UPDATE`;
      const owned = await tx.webhook.count({ where: { userId } });
      if (owned >= limits.maxWebhooksPerUser) {
        throw new AppError(
          'too-many-webhooks',
          `You have ${owned} webhooks, the most one user may have (MAX_WEBHOOKS_PER_USER is ${limits.maxWebhooksPerUser}). ` +
            'Delete one, or ask the installation to raise the limit.',
        );
      }
      const created = await tx.webhook.create({
        data: {
          ...(columnsFrom(input) as Prisma.WebhookUncheckedCreateInput),
          createdAt: now,
          modifiedAt: now,
          failuresCountedFrom: now,
          id,
          userId,
          idempotencyKey,
          eventTypes: [...new Set(input.eventTypes)],
          requestUrl: input.requestUrl,
          hostKey: hostKeyOf(input.requestUrl),
          secrets: { create: { id: newRecordId(), secret: input.secret ?? newWebhookSecret() } },
        },
      });
      await emitOperationalEvents(sqlInPrismaTransaction(tx), [
        {
          userId,
          eventType: 'ricochet.webhook.created',
          eventData: { ...webhookRef(created), eventTypes: created.eventTypes },
        },
      ]);
      return created;
    });
    return { webhook: toWebhook(row, statsOf(new Map(), row.id)), created: true };
  } catch (error) {
    if (isUniqueViolation(error)) {
      const winner = await findByKey();
      if (winner) return { webhook: await withStats(prisma, winner), created: false };
    }
    throw error;
  }
}

export type WebhookFilter = { actorId?: string; actorTaskId?: string };

type WebhookListArgs = { userId: string; page: PaginationQuery; filter?: WebhookFilter };
type WebhookRowsQuery = {
  where: Prisma.WebhookWhereInput;
  orderBy: ReturnType<typeof creationOrder>;
  skip: number;
  take: number;
};

/**
 * A page of a user's webhooks by creation time (Apify's order), optionally those of one actor or
 * task, with their stats: at most LIST_PAGE_MAX_BYTES, read in chunks (collectPage).
 */
async function pageOfWebhooks<Row extends { id: string; userId: string; circuitOpenedAt: Date | null }, Item>(
  prisma: PrismaClient,
  args: WebhookListArgs,
  findRows: (query: WebhookRowsQuery) => Promise<Row[]>,
  toItem: (row: Row, stats: WebhookStats) => Item,
): Promise<List<Item>> {
  const where = webhookListWhere(args);
  const total = await prisma.webhook.count({ where });
  const items = await collectPage({
    limit: args.page.limit,
    fetchRows: (skip, take) =>
      findRows({ where, orderBy: creationOrder(args.page), skip: args.page.offset + skip, take }),
    toItems: async (rows) => {
      const stats = await webhookStats(prisma, rows);
      return rows.map((row) => toItem(row, statsOf(stats, row.id)));
    },
  });
  return toList(args.page, total, items);
}

/** Lists a user's webhooks as list items (no templates). */
export function listWebhooks(prisma: PrismaClient, args: WebhookListArgs): Promise<List<WebhookListItem>> {
  return pageOfWebhooks(
    prisma,
    args,
    (query) => prisma.webhook.findMany({ ...query, omit: WEBHOOK_DEFINITION_COLUMNS }),
    toWebhookListItem,
  );
}

/**
 * The same list with whole webhooks, templates included (Apify's list of a task's webhooks); each
 * webhook can carry ~400 KB, which is why pages are bounded in bytes.
 */
export function listFullWebhooks(prisma: PrismaClient, args: WebhookListArgs): Promise<List<Webhook>> {
  return pageOfWebhooks(prisma, args, (query) => prisma.webhook.findMany(query), toWebhook);
}

function webhookListWhere(args: { userId: string; filter?: WebhookFilter }): Prisma.WebhookWhereInput {
  const { userId, filter = {} } = args;
  return {
    userId,
    ...(filter.actorId !== undefined && { conditionActorId: filter.actorId }),
    ...(filter.actorTaskId !== undefined && { conditionActorTaskId: filter.actorTaskId }),
  };
}

/** Another user's webhook is answered exactly like a missing one: ids do not leak across tenants. */
async function findOwnWebhook(prisma: PrismaClient, userId: string, webhookId: string): Promise<WebhookRow> {
  // On the driver: GET /v2/webhooks/:id is a hot read, and Prisma's per-query cost dominates it.
  const [row] = await sqlFor(prisma).query<WebhookRow>(
    'SELECT * FROM "Webhook" WHERE "id" = $1 AND "userId" = $2',
    [webhookId, userId],
  );
  if (!row) throw recordNotFound('Webhook', webhookId);
  return row;
}

export async function getWebhook(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string },
): Promise<Webhook> {
  return withStats(prisma, await findOwnWebhook(prisma, args.userId, args.webhookId));
}

async function withStats(prisma: PrismaClient, row: WebhookRow): Promise<Webhook> {
  return toWebhook(row, statsOf(await webhookStats(prisma, [row]), row.id));
}

export async function updateWebhook(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string; input: UpdateWebhookData },
): Promise<Webhook> {
  const { userId, webhookId, input } = args;
  const before = await findOwnWebhook(prisma, userId, webhookId);
  if (input.eventTypes) await assertEventTypesKnown(prisma, { userId, eventTypes: input.eventTypes });
  const columns = columnsFrom(input);
  // A person switching the webhook on, or pointing it somewhere else, asks for deliveries to be
  // tried again: its circuit closes (it opens again after as many calls without a response).
  const urlChanged = columns.requestUrl !== undefined && columns.requestUrl !== before.requestUrl;
  if (columns.state === 'ACTIVE' || urlChanged) {
    Object.assign(columns, {
      circuitOpenedAt: null,
      circuitProbeAt: null,
      circuitOpenings: 0,
      circuitLastError: null,
      failingSince: null,
    });
  }
  const changed = Object.entries(input)
    .filter(([, value]) => value !== undefined)
    .map(([field]) => field);
  try {
    const row = await prisma.$transaction(async (tx) => {
      // modifiedAt moves with the definition only (never with publishing or delivering).
      const updated = await tx.webhook.update({
        where: { id: webhookId },
        data: { ...columns, modifiedAt: new Date() },
      });
      const events: OperationalEvent[] = [
        { userId, eventType: 'ricochet.webhook.updated', eventData: { ...webhookRef(updated), changed } },
      ];
      if (before.state !== 'ACTIVE' && updated.state === 'ACTIVE') {
        events.push({
          userId,
          eventType: 'ricochet.webhook.enabled',
          eventData: { ...webhookRef(updated), previousState: before.state },
        });
      }
      await emitOperationalEvents(sqlInPrismaTransaction(tx), events);
      return updated;
    });
    // Dispatches that waited on the webhook (not ACTIVE, circuit open) or on a lifted rate limit go.
    if (row.state === 'ACTIVE') await releaseHeld(sqlFor(prisma), { webhookId });
    if (before.rateLimitPerSecond !== null && row.rateLimitPerSecond === null) {
      await releasePaced(sqlFor(prisma), { webhookId });
    }
    return await withStats(prisma, row);
  } catch (error) {
    // Deleted between the ownership check and the update.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') {
      throw recordNotFound('Webhook', webhookId);
    }
    throw error;
  }
}

export async function deleteWebhook(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string },
): Promise<void> {
  // With everything it delivered or was to deliver (dispatches and calls have no foreign keys to
  // their webhook, see schema.prisma).
  const removed = await sqlFor(prisma).transaction(async (tx) => {
    const [webhook] = await tx.query<WebhookColumns>(
      `SELECT "id", "userId", "requestUrl", "state"::text AS "state", "description" FROM "Webhook"
       WHERE "id" = $1 AND "userId" = $2 FOR UPDATE`,
      [args.webhookId, args.userId],
    );
    if (!webhook || !(await removeWebhook(tx, args))) return false;
    await emitOperationalEvents(tx, [
      { userId: args.userId, eventType: 'ricochet.webhook.deleted', eventData: webhookRef(webhook) },
    ]);
    return true;
  });
  if (!removed) throw recordNotFound('Webhook', args.webhookId);
}

/** The secrets a webhook signs with now, newest first; older ones are in their grace period. */
export async function getWebhookSecrets(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string },
): Promise<WebhookSecrets> {
  await findOwnWebhook(prisma, args.userId, args.webhookId);
  const now = new Date();
  const rows = await prisma.webhookSecret.findMany({
    where: { webhookId: args.webhookId, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return {
    secrets: rows.map((row) => ({
      secret: row.secret,
      createdAt: row.createdAt.toISOString(),
      expiresAt: row.expiresAt?.toISOString() ?? null,
    })),
  };
}

/**
 * Rotates a webhook's signing secret. The secrets it had keep signing (every call carries one
 * signature per live secret) until the grace period ends, so receivers can switch without a gap.
 */
export async function rotateWebhookSecret(
  prisma: PrismaClient,
  args: { userId: string; webhookId: string; input: z.output<typeof RotateWebhookSecretInputSchema> },
): Promise<WebhookSecrets> {
  const { userId, webhookId, input } = args;
  const webhook = await findOwnWebhook(prisma, userId, webhookId);
  const now = new Date();
  const graceEnd = new Date(now.getTime() + input.gracePeriodSeconds * 1000);
  await prisma.$transaction(async (tx) => {
    await tx.webhookSecret.updateMany({
      where: { webhookId, OR: [{ expiresAt: null }, { expiresAt: { gt: graceEnd } }] },
      data: { expiresAt: graceEnd },
    });
    await tx.webhookSecret.create({
      data: { id: newRecordId(), webhookId, secret: input.secret ?? newWebhookSecret(), createdAt: now },
    });
    // The event says when the old secret stops, never a secret.
    await emitOperationalEvents(sqlInPrismaTransaction(tx), [
      {
        userId,
        eventType: 'ricochet.webhook.secret_rotated',
        eventData: {
          ...webhookRef(webhook),
          previousSecretExpiresAt: input.gracePeriodSeconds > 0 ? graceEnd.toISOString() : null,
        },
      },
    ]);
  });
  return getWebhookSecrets(prisma, { userId, webhookId });
}
