import {
  BrandingSchema,
  BroadcastEventInputSchema,
  BroadcastEventResultSchema,
  CreatePortalSessionInputSchema,
  EnsuredUserSchema,
  EnsureUserInputSchema,
  ExternalIdSchema,
  OpenedPortalSchema,
  OpenPortalInputSchema,
  PortalSessionSchema,
  PublishEventBatchInputSchema,
  PublishEventBatchResultSchema,
  RecordIdSchema,
  UserSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import { ensureUserByExternalId, getUserByExternalId } from '../../services/customers.ts';
import { limitsFrom } from '../../services/limits.ts';
import {
  createPortalSession,
  installationBranding,
  openPortalSession,
} from '../../services/portal-sessions.ts';
import { broadcastEvent, publishEventBatch } from '../../services/publish-for-users.ts';
import { adminProcedure, capabilityProcedure, publicProcedure } from './trpc.ts';

/** Merged into `events`: the batch and the broadcast (REST: POST /v2/events/batch, /broadcast). */
export const customerEventProcedures = {
  publishBatch: capabilityProcedure('write', 'events')
    .input(PublishEventBatchInputSchema)
    .output(PublishEventBatchResultSchema)
    .mutation(({ ctx, input }) =>
      publishEventBatch(ctx.prisma, { publisher: ctx.principal, input, limits: limitsFrom(ctx.config) }),
    ),
  broadcast: adminProcedure
    .input(BroadcastEventInputSchema)
    .output(BroadcastEventResultSchema)
    .mutation(({ ctx, input }) => broadcastEvent(ctx.prisma, { input, limits: limitsFrom(ctx.config) })),
};

/** Merged into `users`: customers by the team's own ids, and their portal links. */
export const customerUserProcedures = {
  ensureByExternalId: adminProcedure
    .input(EnsureUserInputSchema)
    .output(EnsuredUserSchema)
    .mutation(({ ctx, input }) => ensureUserByExternalId(ctx.prisma, { input })),
  byExternalId: adminProcedure
    .input(z.object({ externalId: ExternalIdSchema }))
    .output(UserSchema)
    .query(({ ctx, input }) => getUserByExternalId(ctx.prisma, input)),
  createPortalSession: adminProcedure
    .input(z.object({ userId: RecordIdSchema, data: CreatePortalSessionInputSchema }))
    .output(PortalSessionSchema)
    .mutation(({ ctx, input }) =>
      createPortalSession(ctx.prisma, {
        userId: input.userId,
        input: input.data,
        dashboardUrl: ctx.config.RICOCHET_DASHBOARD_URL,
      }),
    ),
};

/** Merged into `auth`: the installation's branding (before anyone signs in) and opening a portal link. */
export const portalAuthProcedures = {
  branding: publicProcedure.output(BrandingSchema).query(({ ctx }) => installationBranding(ctx.config)),
  /**
   * Trades a portal link's token for a session. The session token is returned (not set as a
   * cookie): the portal sends it in a header, which works in a third-party iframe where cookies do not.
   */
  openPortal: publicProcedure
    .input(OpenPortalInputSchema)
    .output(OpenedPortalSchema)
    .mutation(({ ctx, input }) => openPortalSession(ctx.prisma, input)),
};
