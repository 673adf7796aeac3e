import {
  CreateWebhookInputSchema,
  listOf,
  PaginationQuerySchema,
  RecordIdSchema,
  UpdateWebhookInputSchema,
  WebhookListItemSchema,
  WebhookSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import { limitsFrom } from '../../services/limits.ts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  updateWebhook,
} from '../../services/webhooks.ts';
import { webhookDeliveryProcedures } from './delivery-router.ts';
import { readProcedure, router, writeProcedure } from './trpc.ts';

const WebhookIdInput = z.object({ webhookId: RecordIdSchema });

export const webhooksRouter = router({
  create: writeProcedure
    .input(CreateWebhookInputSchema)
    .output(WebhookSchema)
    .mutation(async ({ ctx, input }) => {
      const { webhook } = await createWebhook(ctx.prisma, {
        userId: ctx.principal.userId,
        input,
        limits: limitsFrom(ctx.config),
      });
      return webhook;
    }),
  list: readProcedure
    .input(
      PaginationQuerySchema.extend({
        actorId: RecordIdSchema.optional(),
        actorTaskId: RecordIdSchema.optional(),
      }).default({ offset: 0, limit: 1000, desc: false }),
    )
    .output(listOf(WebhookListItemSchema))
    .query(({ ctx, input }) => {
      const { actorId, actorTaskId, ...page } = input;
      return listWebhooks(ctx.prisma, {
        userId: ctx.principal.userId,
        page,
        filter: { ...(actorId && { actorId }), ...(actorTaskId && { actorTaskId }) },
      });
    }),
  get: readProcedure
    .input(WebhookIdInput)
    .output(WebhookSchema)
    .query(({ ctx, input }) =>
      getWebhook(ctx.prisma, { userId: ctx.principal.userId, webhookId: input.webhookId }),
    ),
  update: writeProcedure
    .input(WebhookIdInput.extend({ data: UpdateWebhookInputSchema }))
    .output(WebhookSchema)
    .mutation(({ ctx, input }) =>
      updateWebhook(ctx.prisma, {
        userId: ctx.principal.userId,
        webhookId: input.webhookId,
        input: input.data,
      }),
    ),
  delete: writeProcedure
    .input(WebhookIdInput)
    .output(z.null())
    .mutation(async ({ ctx, input }) => {
      await deleteWebhook(ctx.prisma, { userId: ctx.principal.userId, webhookId: input.webhookId });
      return null;
    }),
  ...webhookDeliveryProcedures,
});
