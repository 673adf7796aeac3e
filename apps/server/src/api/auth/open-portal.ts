import { OpenedPortalSchema, OpenPortalInputSchema } from '@ricochet/schema';
import { openPortalSession } from '../../services/portal-sessions.ts';
import { defineOperation } from '../operation.ts';

/**
 * Trades a portal link's token for a session. The session token is returned (not set as a
 * cookie): the portal sends it in a header, which works in a third-party iframe where cookies do not.
 */
export const openPortal = defineOperation({
  summary: "Open the customer portal with a portal link's token",
  access: 'public',
  procedure: 'mutation',
  input: OpenPortalInputSchema,
  output: OpenedPortalSchema,
  run: ({ prisma }, input) => openPortalSession(prisma, input),
});
