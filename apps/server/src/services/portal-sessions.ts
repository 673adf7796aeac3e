import type {
  Branding,
  BrandingOverride,
  CreatePortalSessionInputSchema,
  OpenedPortal,
  PortalSession,
} from '@ricochet/schema';
import type { z } from 'zod';
import type { Config } from '../config.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { AppError, recordNotFound } from './errors.ts';
import { newRecordId } from './ids.ts';
import { createSession, secret } from './sessions.ts';
import { hashToken } from './tokens.ts';

const PORTAL = 'PORTAL';

/**
 * A single-use link that signs a user in to the dashboard in portal mode. The link and the session
 * it opens both end `expiresInSeconds` after this call. The token travels in the URL's fragment, so
 * it never reaches a server log, a proxy or a Referer header; the portal page reads it and trades it
 * for a session (openPortalSession).
 */
export async function createPortalSession(
  prisma: PrismaClient,
  args: {
    userId: string;
    input: z.output<typeof CreatePortalSessionInputSchema>;
    dashboardUrl: string;
  },
): Promise<PortalSession> {
  const { userId, input } = args;
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { disabledAt: true } });
  if (!user) throw recordNotFound('User', userId);
  if (user.disabledAt) throw new AppError('invalid-input', `User ${userId} is disabled.`);
  const token = secret('link');
  const expiresAt = new Date(Date.now() + input.expiresInSeconds * 1000);
  await prisma.signInLink.create({
    data: {
      id: newRecordId(),
      userId,
      tokenHash: hashToken(token),
      purpose: PORTAL,
      expiresAt,
      readOnly: input.readOnly,
      branding: input.branding ? (input.branding as Prisma.InputJsonObject) : Prisma.DbNull,
    },
  });
  const url = new URL('/portal', args.dashboardUrl);
  url.hash = `token=${token}`;
  return { url: url.toString(), userId, readOnly: input.readOnly, expiresAt: expiresAt.toISOString() };
}

const linkRefused = () =>
  new AppError('token-not-valid', 'This portal link was already used or has expired. Ask for a new one.');

/** Uses a portal link once: a PORTAL session (read-only when the link says so) until the link's expiry. */
export async function openPortalSession(
  prisma: PrismaClient,
  args: { token: string },
): Promise<OpenedPortal> {
  // The conditional update is what makes the link single-use when two requests race.
  const [link] = await prisma.signInLink.updateManyAndReturn({
    where: { tokenHash: hashToken(args.token), purpose: PORTAL, usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  if (!link) throw linkRefused();
  const user = await prisma.user.findUnique({ where: { id: link.userId }, select: { disabledAt: true } });
  if (!user || user.disabledAt) throw linkRefused();
  const session = await createSession(prisma, {
    userId: link.userId,
    mode: 'PORTAL',
    scope: link.readOnly ? 'READ_ONLY' : 'FULL',
    expiresAt: link.expiresAt,
    branding: link.branding as BrandingOverride | null,
  });
  return { session: session.info, sessionToken: session.token };
}

/** The installation's branding, from the RICOCHET_BRAND_* settings. */
export function installationBranding(config: Config): Branding {
  return {
    productName: config.RICOCHET_BRAND_NAME,
    logoUrl: config.RICOCHET_BRAND_LOGO_URL ?? null,
    accentColor: config.RICOCHET_BRAND_ACCENT_COLOR ?? null,
    theme: config.RICOCHET_BRAND_THEME,
  };
}
