import { z } from 'zod';
import { SessionInfoSchema } from './auth.ts';
import { BrandingOverrideSchema } from './branding.ts';

export const PORTAL_SESSION_MAX_SECONDS = 7 * 24 * 3600;

/** Body of `POST /v2/users/:userId/portal-sessions` (admins only). */
export const CreatePortalSessionInputSchema = z
  .object({
    /** How long the link, and the session it opens, last. */
    expiresInSeconds: z.number().int().min(1).max(PORTAL_SESSION_MAX_SECONDS).default(3600),
    /** A read-only portal shows everything and changes nothing. */
    readOnly: z.boolean().default(false),
    branding: BrandingOverrideSchema.optional(),
  })
  .meta({ id: 'CreatePortalSessionInput' });
export type CreatePortalSessionInput = z.input<typeof CreatePortalSessionInputSchema>;

/** A portal link: open `url` once, before `expiresAt`, to sign the user in to the portal. */
export const PortalSessionSchema = z
  .object({
    url: z.url(),
    userId: z.string(),
    readOnly: z.boolean(),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'PortalSession' });
export type PortalSession = z.infer<typeof PortalSessionSchema>;

export const OpenPortalInputSchema = z
  .object({ token: z.string().min(1).max(200) })
  .meta({ id: 'OpenPortalInput' });

/**
 * An opened portal: the session, and its token, which the portal keeps in the tab's sessionStorage and
 * sends in the SESSION_HEADER (a cookie would not reach the API from a third-party iframe).
 */
export const OpenedPortalSchema = z
  .object({ session: SessionInfoSchema, sessionToken: z.string() })
  .meta({ id: 'OpenedPortal' });
export type OpenedPortal = z.infer<typeof OpenedPortalSchema>;

/** The header that carries a portal session's token to /trpc. */
export const SESSION_HEADER = 'x-ricochet-session';

export { PORTAL_RESIZE_MESSAGE, type PortalResizeMessage } from './embed.ts';
