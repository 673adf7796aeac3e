import {
  BulkRedeliverInputSchema,
  BulkRedeliverResultSchema,
  DispatchListQuerySchema,
  DispatchSchema,
  EventSchema,
  listOf,
  PublishEventInputSchema,
  RecordIdSchema,
  RotateWebhookSecretInputSchema,
  SuperOfficeWebhookResultSchema,
  SuperOfficeWebhookSchema,
  TestWebhookDefinitionInputSchema,
  WebhookSecretsSchema,
  WebhookTestResultSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import {
  dispatchWithAllCallsAsJson,
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
import { publicUrl } from '../public-url.ts';
import { defineRoute, StreamedJson } from './route.ts';

const WebhookParams = z.object({ webhookId: RecordIdSchema });
const DispatchParams = z.object({ dispatchId: RecordIdSchema });

export const deliveryRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v2/events',
    summary: 'Publish an event: stored with one dispatch per matching webhook before the answer',
    tags: ['Events'],
    access: 'write',
    body: PublishEventInputSchema,
    success: { status: 201, data: EventSchema },
    handler: async ({ prisma, principal, body, request, reply, services }) => {
      const { event } = await publishEventFor(prisma, {
        publisher: principal,
        input: body,
        limits: limitsFrom(services.config),
      });
      reply.header('location', publicUrl(request, `/v2/events/${event.id}`));
      return event;
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/events/:eventId',
    summary: 'Get event',
    tags: ['Events'],
    access: 'read',
    params: z.object({ eventId: RecordIdSchema }),
    success: { status: 200, data: EventSchema },
    handler: ({ prisma, principal, params }) =>
      getEvent(prisma, { userId: principal.userId, eventId: params.eventId }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/webhooks/:webhookId/test',
    summary: 'Test webhook: a dispatch of a TEST event with a dummy payload',
    tags: ['Webhooks'],
    access: 'write',
    params: WebhookParams,
    success: { status: 201, data: DispatchSchema },
    handler: ({ prisma, principal, params }) =>
      testWebhook(prisma, { userId: principal.userId, webhookId: params.webhookId }),
  }),
  defineRoute({
    // Its own collection, not /v2/webhooks/test: a static segment there would shadow a webhook id
    // and turn GET /v2/webhooks/test into a 405 instead of Apify's 404 for an unknown webhook.
    method: 'POST',
    path: '/v2/webhook-tests',
    summary: 'Test an unsaved webhook definition: send it the TEST event once, now; nothing is stored',
    tags: ['Webhooks'],
    access: 'write',
    body: TestWebhookDefinitionInputSchema,
    success: { status: 200, data: WebhookTestResultSchema },
    handler: ({ services, principal, body }) =>
      testWebhookDefinitionDraft(services.sender, {
        userId: principal.userId,
        definition: body,
        timeoutMs: services.config.DELIVERY_ATTEMPT_TIMEOUT_MS,
        requestOrigin: services.config.RICOCHET_REQUEST_ORIGIN,
      }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/webhooks/:webhookId/secret',
    summary: "The webhook's live signing secrets (newest first)",
    tags: ['Webhooks'],
    access: 'write',
    params: WebhookParams,
    success: { status: 200, data: WebhookSecretsSchema },
    handler: ({ prisma, principal, params }) =>
      getWebhookSecrets(prisma, { userId: principal.userId, webhookId: params.webhookId }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/webhooks/:webhookId/secret/rotate',
    summary: 'Rotate the signing secret; the old one keeps signing for gracePeriodSeconds',
    tags: ['Webhooks'],
    access: 'write',
    params: WebhookParams,
    body: RotateWebhookSecretInputSchema,
    success: { status: 200, data: WebhookSecretsSchema },
    handler: ({ prisma, principal, params, body }) =>
      rotateWebhookSecret(prisma, { userId: principal.userId, webhookId: params.webhookId, input: body }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/webhooks/:webhookId/dispatches',
    summary: "Get list of a webhook's dispatches",
    tags: ['Webhook dispatches'],
    access: 'read',
    params: WebhookParams,
    query: DispatchListQuerySchema,
    success: { status: 200, data: listOf(DispatchSchema) },
    handler: ({ prisma, principal, params, query }) =>
      listDispatches(prisma, { userId: principal.userId, query, webhookId: params.webhookId }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/webhooks/:webhookId/dispatches/redeliver',
    summary: "Redeliver the webhook's FAILED dispatches created in a time window",
    tags: ['Webhook dispatches'],
    access: 'write',
    params: WebhookParams,
    body: BulkRedeliverInputSchema,
    success: { status: 200, data: BulkRedeliverResultSchema },
    handler: ({ prisma, principal, params, body, services }) =>
      redeliverFailedDispatches(prisma, {
        userId: principal.userId,
        webhookId: params.webhookId,
        input: body,
        limits: limitsFrom(services.config),
      }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/webhook-dispatches',
    summary: 'Get list of webhook dispatches',
    tags: ['Webhook dispatches'],
    access: 'read',
    query: DispatchListQuerySchema,
    success: { status: 200, data: listOf(DispatchSchema) },
    handler: ({ prisma, principal, query }) => listDispatches(prisma, { userId: principal.userId, query }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/webhook-dispatches/:dispatchId',
    summary: 'Get webhook dispatch with all its calls (streamed: a dispatch redelivered often has thousands)',
    tags: ['Webhook dispatches'],
    access: 'read',
    params: DispatchParams,
    success: { status: 200, data: DispatchSchema },
    handler: async ({ prisma, principal, params }) =>
      new StreamedJson(
        await dispatchWithAllCallsAsJson(prisma, { userId: principal.userId, dispatchId: params.dispatchId }),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/webhook-dispatches/:dispatchId/redeliver',
    summary: 'Redeliver a finished dispatch (a fresh retry schedule; its calls so far are kept)',
    tags: ['Webhook dispatches'],
    access: 'write',
    params: DispatchParams,
    success: { status: 200, data: DispatchSchema },
    handler: ({ prisma, principal, params }) =>
      redeliverDispatch(prisma, { userId: principal.userId, dispatchId: params.dispatchId }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/webhook-dispatches/:dispatchId/retry-now',
    summary: 'Attempt a dispatch that waits on its backoff now (its retry schedule carries on)',
    tags: ['Webhook dispatches'],
    access: 'write',
    params: DispatchParams,
    success: { status: 200, data: DispatchSchema },
    handler: ({ prisma, principal, params }) =>
      retryDispatchNow(prisma, { userId: principal.userId, dispatchId: params.dispatchId }),
  }),
];

/** SuperOffice's Webhook/Test answers bare `{Success, Message}`, not Apify's `{data}` envelope. */
export const superOfficeRoutes = [
  defineRoute({
    method: 'POST',
    path: '/api/v1/Webhook/Test',
    summary: "SuperOffice: ping a webhook definition with a 'test' event (nothing is saved)",
    tags: ['SuperOffice'],
    access: 'write',
    body: SuperOfficeWebhookSchema,
    success: { status: 200, data: SuperOfficeWebhookResultSchema, envelope: false },
    handler: ({ services, principal, body }) =>
      testWebhookDefinition(services.sender, {
        userId: principal.userId,
        definition: body,
        timeoutMs: services.config.DELIVERY_ATTEMPT_TIMEOUT_MS,
        requestOrigin: services.config.RICOCHET_REQUEST_ORIGIN,
      }),
  }),
];
