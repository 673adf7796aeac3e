import {
  ApiTokenSchema,
  CreateApiTokenInputSchema,
  CreatedApiTokenSchema,
  CreatedUserSchema,
  CreateEventTypeInputSchema,
  CreateUserInputSchema,
  EventTypeNameSchema,
  EventTypeSchema,
  HistoryWindowSchema,
  InstallationOverviewSchema,
  RecordIdSchema,
  SetRetentionInputSchema,
  UserSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import { installationOverview } from '../../services/delivery-stats.ts';
import { createEventType, deleteEventType, listEventTypes } from '../../services/event-types.ts';
import { retentionFrom } from '../../services/retention.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../services/tokens.ts';
import { createUser, getHistoryWindow, getUser, listUsers, setUserRetention } from '../../services/users.ts';
import { defineRoute } from './route.ts';

export const userRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v2/users/me',
    summary: 'Get the user of the token',
    tags: ['Users'],
    access: 'read',
    success: { status: 200, data: UserSchema },
    handler: ({ prisma, principal }) => getUser(prisma, { userId: principal.userId }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/users/me/history',
    summary: "How far back the user's history goes (retention)",
    tags: ['Users'],
    access: 'read',
    success: { status: 200, data: HistoryWindowSchema },
    handler: ({ prisma, principal }) => getHistoryWindow(prisma, { userId: principal.userId }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/admin/overview',
    summary:
      'The installation at a glance: queue, throughput, slow targets, history storage per week (administrators only)',
    tags: ['Users'],
    access: 'admin',
    success: { status: 200, data: InstallationOverviewSchema },
    handler: ({ prisma, services }) => installationOverview(prisma, retentionFrom(services.config)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v2/users/:userId/retention',
    summary: "Set a user's retention in days, or null for the installation's (administrators only)",
    tags: ['Users'],
    access: 'admin',
    params: z.object({ userId: RecordIdSchema }),
    body: SetRetentionInputSchema,
    success: { status: 200, data: UserSchema },
    handler: ({ prisma, params, body }) => setUserRetention(prisma, { userId: params.userId, input: body }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/users',
    summary: 'List users (administrators only)',
    tags: ['Users'],
    access: 'admin',
    success: { status: 200, data: z.array(UserSchema) },
    handler: ({ prisma }) => listUsers(prisma),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/users',
    summary: 'Create a user and its first token (administrators only)',
    tags: ['Users'],
    access: 'admin',
    body: CreateUserInputSchema,
    success: { status: 201, data: CreatedUserSchema },
    handler: ({ prisma, body }) => createUser(prisma, { input: body }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/users/me/tokens',
    summary: "List the user's API tokens (never their values)",
    tags: ['Tokens'],
    access: 'read',
    success: { status: 200, data: z.array(ApiTokenSchema) },
    handler: ({ prisma, principal }) => listApiTokens(prisma, { userId: principal.userId }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/users/me/tokens',
    summary: 'Create an API token; its value is returned this once',
    tags: ['Tokens'],
    access: 'write',
    body: CreateApiTokenInputSchema,
    success: { status: 201, data: CreatedApiTokenSchema },
    handler: ({ prisma, principal, body }) =>
      createApiToken(prisma, { userId: principal.userId, name: body.name, scope: body.scope }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v2/users/me/tokens/:tokenId',
    summary: 'Revoke an API token',
    tags: ['Tokens'],
    access: 'write',
    params: z.object({ tokenId: RecordIdSchema }),
    success: { status: 204, data: null },
    handler: ({ prisma, principal, params }) =>
      revokeApiToken(prisma, { userId: principal.userId, tokenId: params.tokenId }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/event-types',
    summary: "List event types: Apify's catalogue and the user's own",
    tags: ['Event types'],
    access: 'read',
    success: { status: 200, data: z.array(EventTypeSchema) },
    handler: ({ prisma, principal }) => listEventTypes(prisma, { userId: principal.userId }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/event-types',
    summary: 'Register an event type (e.g. contact.created)',
    tags: ['Event types'],
    access: 'write',
    body: CreateEventTypeInputSchema,
    success: { status: 201, data: EventTypeSchema },
    handler: ({ prisma, principal, body }) =>
      createEventType(prisma, { userId: principal.userId, input: body }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v2/event-types/:name',
    summary: 'Remove a registered event type',
    tags: ['Event types'],
    access: 'write',
    params: z.object({ name: EventTypeNameSchema }),
    success: { status: 204, data: null },
    handler: ({ prisma, principal, params }) =>
      deleteEventType(prisma, { userId: principal.userId, name: params.name }),
  }),
];
