import {
  CreateUserAccountInputSchema,
  DeliveryHistogramBucketSchema,
  DeliveryHistogramInputSchema,
  DispatchDetailInputSchema,
  DispatchDetailSchema,
  DispatchLogInputSchema,
  DispatchLogItemSchema,
  EventLogItemSchema,
  HistoryWindowSchema,
  InstallationOverviewSchema,
  listOf,
  RecordIdSchema,
  RenderedRequestSchema,
  RequestPreviewInputSchema,
  SetPasswordInputSchema,
  SetRetentionInputSchema,
  UserAccountSchema,
  UserSchema,
  WebhookSearchInputSchema,
  WebhookSummarySchema,
} from '@ricochet/schema';
import { z } from 'zod';
import {
  deliveryHistogram,
  installationOverview,
  listDispatchLog,
  listEventLog,
  searchWebhooks,
} from '../../services/delivery-stats.ts';
import { getDispatchDetail } from '../../services/dispatches.ts';
import { previewRequest, renderDispatchRequest } from '../../services/request-preview.ts';
import { retentionFrom } from '../../services/retention.ts';
import { setPassword, setUserDisabled } from '../../services/sessions.ts';
import { createUserAccount, listUserAccounts } from '../../services/user-accounts.ts';
import { getHistoryWindow, setUserRetention } from '../../services/users.ts';
import { adminProcedure, readProcedure, router } from './trpc.ts';

/** The dashboard's read models: searched, paginated and aggregated on the server. */
export const insightsRouter = router({
  webhooks: readProcedure
    .input(WebhookSearchInputSchema)
    .output(listOf(WebhookSummarySchema))
    .query(({ ctx, input }) => searchWebhooks(ctx.prisma, { userId: ctx.principal.userId, query: input })),
  histogram: readProcedure
    .input(DeliveryHistogramInputSchema)
    .output(z.array(DeliveryHistogramBucketSchema))
    .query(({ ctx, input }) =>
      deliveryHistogram(ctx.prisma, {
        userId: ctx.principal.userId,
        hours: input.hours,
        ...(input.webhookId && { webhookId: input.webhookId }),
      }),
    ),
  dispatchLog: readProcedure
    .input(DispatchLogInputSchema)
    .output(listOf(DispatchLogItemSchema))
    .query(({ ctx, input }) => listDispatchLog(ctx.prisma, { userId: ctx.principal.userId, query: input })),
  events: readProcedure
    .input(
      z.object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(100).default(25),
      }),
    )
    .output(listOf(EventLogItemSchema))
    .query(({ ctx, input }) => listEventLog(ctx.prisma, { userId: ctx.principal.userId, ...input })),
  previewRequest: readProcedure
    .input(RequestPreviewInputSchema)
    .output(RenderedRequestSchema)
    .query(({ ctx, input }) =>
      previewRequest({
        userId: ctx.principal.userId,
        input,
        requestOrigin: ctx.config.RICOCHET_REQUEST_ORIGIN,
      }),
    ),
  /** How far back the user's history goes: the dashboard says so above its lists. */
  history: readProcedure
    .output(HistoryWindowSchema)
    .query(({ ctx }) => getHistoryWindow(ctx.prisma, { userId: ctx.principal.userId })),
  /** A dispatch with each call's request as sent and its response headers. */
  dispatch: readProcedure
    .input(DispatchDetailInputSchema)
    .output(DispatchDetailSchema)
    .query(({ ctx, input }) =>
      getDispatchDetail(ctx.prisma, {
        userId: ctx.principal.userId,
        dispatchId: input.dispatchId,
        callsBefore: input.callsBefore,
      }),
    ),
  /** The request re-rendered from the webhook's current templates: for calls stored before requests were. */
  dispatchRequest: readProcedure
    .input(z.object({ dispatchId: RecordIdSchema }))
    .output(RenderedRequestSchema)
    .query(({ ctx, input }) =>
      renderDispatchRequest(ctx.prisma, {
        userId: ctx.principal.userId,
        dispatchId: input.dispatchId,
        requestOrigin: ctx.config.RICOCHET_REQUEST_ORIGIN,
      }),
    ),
});

/** Installation administration: user accounts and the overview. */
export const adminRouter = router({
  overview: adminProcedure
    .output(InstallationOverviewSchema)
    .query(({ ctx }) => installationOverview(ctx.prisma, retentionFrom(ctx.config))),
  users: adminProcedure.output(z.array(UserAccountSchema)).query(({ ctx }) => listUserAccounts(ctx.prisma)),
  createUser: adminProcedure
    .input(CreateUserAccountInputSchema)
    .output(UserAccountSchema)
    .mutation(({ ctx, input }) => createUserAccount(ctx.prisma, { input })),
  setPassword: adminProcedure
    .input(SetPasswordInputSchema)
    .output(z.null())
    .mutation(async ({ ctx, input }) => {
      await setPassword(ctx.prisma, input);
      return null;
    }),
  /** A user's own retention in days (null: the installation's RETENTION_DAYS). */
  setRetention: adminProcedure
    .input(z.object({ userId: RecordIdSchema }).extend(SetRetentionInputSchema.shape))
    .output(UserSchema)
    .mutation(({ ctx, input }) =>
      setUserRetention(ctx.prisma, { userId: input.userId, input: { retentionDays: input.retentionDays } }),
    ),
  setDisabled: adminProcedure
    .input(z.object({ userId: RecordIdSchema, disabled: z.boolean() }))
    .output(z.null())
    .mutation(async ({ ctx, input }) => {
      await setUserDisabled(ctx.prisma, { ...input, actingUserId: ctx.principal.userId });
      return null;
    }),
});
