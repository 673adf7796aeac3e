import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import { createSetupLink } from './services/sessions.ts';
import { createApiToken, hashToken } from './services/tokens.ts';
import { bootstrapAdmin } from './services/users.ts';

/**
 * A fresh install gets a first admin user. Its token is RICOCHET_ADMIN_TOKEN when set; without it
 * the admin has no token (the setup link signs them in) until one is made. When RICOCHET_ADMIN_TOKEN
 * is set on an install that already has users, it is added to the first admin, so the variable
 * always works.
 */
export async function ensureAdmin(prisma: PrismaClient, config: Config, logger: Logger): Promise<void> {
  const created = await bootstrapAdmin(prisma, {
    username: config.RICOCHET_ADMIN_USERNAME,
    ...(config.RICOCHET_ADMIN_TOKEN !== undefined && { token: config.RICOCHET_ADMIN_TOKEN }),
  });
  if (created) {
    logger.info({ userId: created.id, username: created.username }, 'created the first admin user');
    return;
  }
  if (!config.RICOCHET_ADMIN_TOKEN) return;
  const known = await prisma.apiToken.findUnique({
    where: { tokenHash: hashToken(config.RICOCHET_ADMIN_TOKEN) },
  });
  if (known) return;
  const admin = await prisma.user.findFirst({ where: { isAdmin: true }, orderBy: { createdAt: 'asc' } });
  if (!admin) return;
  await createApiToken(prisma, {
    userId: admin.id,
    name: 'RICOCHET_ADMIN_TOKEN',
    scope: 'FULL',
    token: config.RICOCHET_ADMIN_TOKEN,
  });
  logger.info({ userId: admin.id }, 'added RICOCHET_ADMIN_TOKEN to the first admin user');
}

/**
 * Until the first admin has chosen a password, every start prints one single-use URL that signs
 * them in to the dashboard and asks for a password (the token is in the URL's fragment, so it
 * never reaches a server log or a Referer header). Returns the URL, or null once set up.
 */
export async function printSetupLink(prisma: PrismaClient, config: Config): Promise<string | null> {
  const dashboard = config.RICOCHET_DASHBOARD_URL.replace(/\/+$/, '');
  const link = await createSetupLink(prisma);
  if (!link) {
    process.stdout.write(`\n  Ricochet is running. Open the dashboard: ${dashboard}\n\n`);
    return null;
  }
  const url = `${dashboard}/setup#token=${link.token}`;
  process.stdout.write(
    `\n  Ricochet is running. Open this URL to sign in as "${link.username}" and choose a password\n` +
      `  (it works once; restarting prints a new one):\n\n    ${url}\n\n`,
  );
  return url;
}
