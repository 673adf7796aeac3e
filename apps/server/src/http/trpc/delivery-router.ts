import {
  BulkRedeliverInputSchema,
  BulkRedeliverResultSchema,
  DispatchListQuerySchema,
  DispatchSchema,
  EventSchema,
  listOf,
  PublishEventInputSchema,
  RecordIdSchema,
  RetryDispatchNowInputSchema,
  RotateWebhookSecretInputSchema,
  SuperOfficeWebhookResultSchema,
  SuperOfficeWebhookSchema,
  TestWebhookDefinitionInputSchema,
  WebhookSecretsSchema,
  WebhookTestResultSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import {
  getDispatch,
  listDispatches,
  redeliverDispatch,
  redeliverFailedDispatches,
  retryDispatchNow,
  testWebhook,
} from '../../services/dispatches.ts';
import { getEvent } from '../../services/events.ts';
import { limitsFrom } from '../../services/limits.ts';
import { publishEventFor } from '../../services/publish-for-users.ts';
import { testWebhookDefinition } from '../../services/superoffice.ts';
import { testWebhookDefinitionDraft } from '../../services/webhook-tests.ts';
import { getWebhookSecrets, rotateWebhookSecret } from '../../services/webhooks.ts';
import { customerEventProcedures } from './customers-router.ts';
import { capabilityProcedure, readProcedure, router, writeProcedure } from './trpc.ts';

const WebhookIdInput = z.object({ webhookId: RecordIdSchema });
const DispatchIdInput = z.object({ dispatchId: RecordIdSchema });

export const eventsRouter = router({
  ...customerEventProcedures,
  publish: capabilityProcedure('write', 'events')
    .input(PublishEventInputSchema)
    .output(EventSchema)
    .mutation(
      async ({ ctx, input }) =>
        (
          await publishEventFor(ctx.prisma, {
            publisher: ctx.principal,
            input,
            limits: limitsFrom(ctx.config),
          })
        ).event,
    ),
  get: readProcedure
    .input(z.object({ eventId: RecordIdSchema }))
    .output(EventSchema)
    .query(({ ctx, input }) =>
      getEvent(ctx.prisma, { userId: ctx.principal.userId, eventId: input.eventId }),
    ),
});

/** Delivery-related procedures of a webhook; merged into `webhooks` next to create/list/get. */
export const webhookDeliveryProcedures = {
  test: writeProcedure
    .input(WebhookIdInput)
    .output(DispatchSchema)
    .mutation(({ ctx, input }) =>
      testWebhook(ctx.prisma, { userId: ctx.principal.userId, webhookId: input.webhookId }),
    ),
  testDefinition: writeProcedure
    .input(SuperOfficeWebhookSchema)
    .output(SuperOfficeWebhookResultSchema)
    .mutation(({ ctx, input }) =>
      testWebhookDefinition(ctx.sender, {
        userId: ctx.principal.userId,
        definition: input,
        timeoutMs: ctx.config.DELIVERY_ATTEMPT_TIMEOUT_MS,
        requestOrigin: ctx.config.RICOCHET_REQUEST_ORIGIN,
      }),
    ),
  /** Apify-shaped test of an unsaved definition (the dashboard's "Test" button); REST: POST /v2/webhook-tests. */
  testUnsaved: writeProcedure
    .input(TestWebhookDefinitionInputSchema)
    .output(WebhookTestResultSchema)
    .mutation(({ ctx, input }) =>
      testWebhookDefinitionDraft(ctx.sender, {
        userId: ctx.principal.userId,
        definition: input,
        timeoutMs: ctx.config.DELIVERY_ATTEMPT_TIMEOUT_MS,
        requestOrigin: ctx.config.RICOCHET_REQUEST_ORIGIN,
      }),
    ),
  secrets: writeProcedure
    .input(WebhookIdInput)
    .output(WebhookSecretsSchema)
    .query(({ ctx, input }) =>
      getWebhookSecrets(ctx.prisma, { userId: ctx.principal.userId, webhookId: input.webhookId }),
    ),
  rotateSecret: writeProcedure
    .input(WebhookIdInput.extend({ data: RotateWebhookSecretInputSchema }))
    .output(WebhookSecretsSchema)
    .mutation(({ ctx, input }) =>
      rotateWebhookSecret(ctx.prisma, {
        userId: ctx.principal.userId,
        webhookId: input.webhookId,
        input: input.data,
      }),
    ),
  dispatches: readProcedure
    .input(
      WebhookIdInput.extend({
        query: DispatchListQuerySchema.default({ offset: 0, limit: 1000, desc: false }),
      }),
    )
    .output(listOf(DispatchSchema))
    .query(({ ctx, input }) =>
      listDispatches(ctx.prisma, {
        userId: ctx.principal.userId,
        query: input.query,
        webhookId: input.webhookId,
      }),
    ),
  redeliverFailed: writeProcedure
    .input(WebhookIdInput.extend({ data: BulkRedeliverInputSchema }))
    .output(BulkRedeliverResultSchema)
    .mutation(({ ctx, input }) =>
      redeliverFailedDispatches(ctx.prisma, {
        userId: ctx.principal.userId,
        webhookId: input.webhookId,
        input: input.data,
        limits: limitsFrom(ctx.config),
      }),
    ),
};

export const dispatchesRouter = router({
  list: readProcedure
    .input(DispatchListQuerySchema.default({ offset: 0, limit: 1000, desc: false }))
    .output(listOf(DispatchSchema))
    .query(({ ctx, input }) => listDispatches(ctx.prisma, { userId: ctx.principal.userId, query: input })),
  get: readProcedure
    .input(DispatchIdInput)
    .output(DispatchSchema)
    .query(({ ctx, input }) =>
      getDispatch(ctx.prisma, { userId: ctx.principal.userId, dispatchId: input.dispatchId }),
    ),
  redeliver: writeProcedure
    .input(DispatchIdInput)
    .output(DispatchSchema)
    .mutation(({ ctx, input }) =>
      redeliverDispatch(ctx.prisma, { userId: ctx.principal.userId, dispatchId: input.dispatchId }),
    ),
  /** REST: POST /v2/webhook-dispatches/:dispatchId/retry-now. */
  retryNow: writeProcedure
    .input(RetryDispatchNowInputSchema)
    .output(DispatchSchema)
    .mutation(({ ctx, input }) =>
      retryDispatchNow(ctx.prisma, { userId: ctx.principal.userId, dispatchId: input.dispatchId }),
    ),
});
