import {
  BroadcastEventInputSchema,
  BroadcastEventResultSchema,
  CreatePortalSessionInputSchema,
  EnsuredUserSchema,
  EnsureUserInputSchema,
  ExternalIdSchema,
  PortalSessionSchema,
  PublishEventBatchInputSchema,
  PublishEventBatchResultSchema,
  RecordIdSchema,
  UserSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import { ensureUserByExternalId, getUserByExternalId } from '../../services/customers.ts';
import { limitsFrom } from '../../services/limits.ts';
import { createPortalSession } from '../../services/portal-sessions.ts';
import { broadcastEvent, publishEventBatch } from '../../services/publish-for-users.ts';
import { defineRoute } from './route.ts';

/** A product team serving its own customers: publishing for them, finding them by its ids, the portal. */
export const customerRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v2/events/batch',
    summary: 'Publish up to 1,000 events in one transaction, all or nothing (userId per event: admins only)',
    tags: ['Events'],
    access: 'write',
    body: PublishEventBatchInputSchema,
    success: { status: 201, data: PublishEventBatchResultSchema },
    handler: ({ prisma, principal, body, services }) =>
      publishEventBatch(prisma, { publisher: principal, input: body, limits: limitsFrom(services.config) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/events/broadcast',
    summary: 'Publish an event to every user subscribed to its type (administrators only)',
    tags: ['Events'],
    access: 'admin',
    body: BroadcastEventInputSchema,
    success: { status: 201, data: BroadcastEventResultSchema },
    handler: ({ prisma, body, services }) =>
      broadcastEvent(prisma, { input: body, limits: limitsFrom(services.config) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/users/by-external-id',
    summary: 'Get the user with this externalId, creating it when there is none (administrators only)',
    tags: ['Users'],
    access: 'admin',
    body: EnsureUserInputSchema,
    success: { status: 200, data: EnsuredUserSchema },
    handler: ({ prisma, body }) => ensureUserByExternalId(prisma, { input: body }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v2/users/by-external-id/:externalId',
    summary: 'Get the user with this externalId (administrators only)',
    tags: ['Users'],
    access: 'admin',
    params: z.object({ externalId: ExternalIdSchema }),
    success: { status: 200, data: UserSchema },
    handler: ({ prisma, params }) => getUserByExternalId(prisma, { externalId: params.externalId }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v2/users/:userId/portal-sessions',
    summary: 'A single-use link that opens the customer portal for the user (administrators only)',
    tags: ['Portal'],
    access: 'admin',
    params: z.object({ userId: RecordIdSchema }),
    body: CreatePortalSessionInputSchema,
    success: { status: 201, data: PortalSessionSchema },
    handler: ({ prisma, services, params, body }) =>
      createPortalSession(prisma, {
        userId: params.userId,
        input: body,
        dashboardUrl: services.config.RICOCHET_DASHBOARD_URL,
      }),
  }),
];
