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
  listFullWebhooks,
  listWebhooks,
  updateWebhook,
} from '../../services/webhooks.ts';
import { publicUrl } from '../public-url.ts';
import { defineRoute } from './route.ts';

const WebhookParams = z.object({ webhookId: RecordIdSchema });
const tags = ['Webhooks'];

export const webhookRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v2/webhooks',
    summary: 'Create webhook (a repeat with the same idempotencyKey returns the first one)',
    tags,
    access: 'write',
    body: CreateWebhookInputSchema,
    success: { status: 201, data: WebhookSchema },
    handler: async ({ prisma, principal, body, request, reply, services }) => {
      const { webhook } = await createWebhook(prisma, {
        userId: principal.userId,
        input: body,
        limits: limitsFrom(services.config),
      });
      reply.header('location', publicUrl(request, `/v2/webhooks/${webhook.id}`));
      return webhook;
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/webhooks',
    summary: 'Get list of webhooks (ordered by createdAt)',
    tags,
    access: 'read',
    query: PaginationQuerySchema,
    success: { status: 200, data: listOf(WebhookListItemSchema) },
    handler: ({ prisma, principal, query }) =>
      listWebhooks(prisma, { userId: principal.userId, page: query }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/webhooks/:webhookId',
    summary: 'Get webhook',
    tags,
    access: 'read',
    params: WebhookParams,
    success: { status: 200, data: WebhookSchema },
    handler: ({ prisma, principal, params }) =>
      getWebhook(prisma, { userId: principal.userId, webhookId: params.webhookId }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v2/webhooks/:webhookId',
    summary: 'Update webhook (only the fields given change)',
    tags,
    access: 'write',
    params: WebhookParams,
    body: UpdateWebhookInputSchema,
    success: { status: 200, data: WebhookSchema },
    handler: ({ prisma, principal, params, body }) =>
      updateWebhook(prisma, { userId: principal.userId, webhookId: params.webhookId, input: body }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v2/webhooks/:webhookId',
    summary: 'Delete webhook',
    tags,
    access: 'write',
    params: WebhookParams,
    success: { status: 204, data: null },
    handler: ({ prisma, principal, params }) =>
      deleteWebhook(prisma, { userId: principal.userId, webhookId: params.webhookId }),
  }),
  // `/v2/acts/...` is the path Apify documents (and its Python client calls); `/v2/actors/...` is
  // the form apify-client for JavaScript uses. Both answer the same.
  ...['/v2/acts/:actorId/webhooks', '/v2/actors/:actorId/webhooks'].map((path) =>
    defineRoute({
      method: 'GET',
      path,
      summary: "Get list of an actor's webhooks (condition.actorId)",
      tags,
      access: 'read',
      params: z.object({ actorId: RecordIdSchema }),
      query: PaginationQuerySchema,
      success: { status: 200, data: listOf(WebhookListItemSchema) },
      handler: ({ prisma, principal, params, query }) =>
        listWebhooks(prisma, { userId: principal.userId, page: query, filter: { actorId: params.actorId } }),
    }),
  ),
  defineRoute({
    method: 'GET',
    path: '/v2/actor-tasks/:actorTaskId/webhooks',
    summary: "Get list of a task's webhooks (condition.actorTaskId), whole webhooks as Apify documents",
    tags,
    access: 'read',
    params: z.object({ actorTaskId: RecordIdSchema }),
    query: PaginationQuerySchema,
    success: { status: 200, data: listOf(WebhookSchema) },
    handler: ({ prisma, principal, params, query }) =>
      listFullWebhooks(prisma, {
        userId: principal.userId,
        page: query,
        filter: { actorTaskId: params.actorTaskId },
      }),
  }),
];
