import {
  ApiTokenSchema,
  CreateApiTokenInputSchema,
  CreatedApiTokenSchema,
  CreatedUserSchema,
  CreateEventTypeInputSchema,
  CreateUserInputSchema,
  EventTypeNameSchema,
  EventTypeSchema,
  RecordIdSchema,
  UserSchema,
} from '@ricochet/schema';
import { z } from 'zod';
import { createEventType, deleteEventType, listEventTypes } from '../../services/event-types.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../services/tokens.ts';
import { createUser, getUser, listUsers } from '../../services/users.ts';
import { customerUserProcedures } from './customers-router.ts';
import { adminProcedure, capabilityProcedure, readProcedure, router } from './trpc.ts';

export const usersRouter = router({
  ...customerUserProcedures,
  me: readProcedure
    .output(UserSchema)
    .query(({ ctx }) => getUser(ctx.prisma, { userId: ctx.principal.userId })),
  list: adminProcedure.output(z.array(UserSchema)).query(({ ctx }) => listUsers(ctx.prisma)),
  create: adminProcedure
    .input(CreateUserInputSchema)
    .output(CreatedUserSchema)
    .mutation(({ ctx, input }) => createUser(ctx.prisma, { input })),
});

// Portal sessions lack the `tokens` capability: a customer in the portal cannot mint API tokens.
export const tokensRouter = router({
  list: capabilityProcedure('read', 'tokens')
    .output(z.array(ApiTokenSchema))
    .query(({ ctx }) => listApiTokens(ctx.prisma, { userId: ctx.principal.userId })),
  create: capabilityProcedure('write', 'tokens')
    .input(CreateApiTokenInputSchema)
    .output(CreatedApiTokenSchema)
    .mutation(({ ctx, input }) =>
      createApiToken(ctx.prisma, { userId: ctx.principal.userId, name: input.name, scope: input.scope }),
    ),
  revoke: capabilityProcedure('write', 'tokens')
    .input(z.object({ tokenId: RecordIdSchema }))
    .output(z.null())
    .mutation(async ({ ctx, input }) => {
      await revokeApiToken(ctx.prisma, { userId: ctx.principal.userId, tokenId: input.tokenId });
      return null;
    }),
});

export const eventTypesRouter = router({
  list: readProcedure
    .output(z.array(EventTypeSchema))
    .query(({ ctx }) => listEventTypes(ctx.prisma, { userId: ctx.principal.userId })),
  // The team registers the catalogue; a portal customer (no `events` capability) only subscribes to it.
  create: capabilityProcedure('write', 'events')
    .input(CreateEventTypeInputSchema)
    .output(EventTypeSchema)
    .mutation(({ ctx, input }) => createEventType(ctx.prisma, { userId: ctx.principal.userId, input })),
  delete: capabilityProcedure('write', 'events')
    .input(z.object({ name: EventTypeNameSchema }))
    .output(z.null())
    .mutation(async ({ ctx, input }) => {
      await deleteEventType(ctx.prisma, { userId: ctx.principal.userId, name: input.name });
      return null;
    }),
});
