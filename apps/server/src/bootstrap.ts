import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import { createApiToken, hashToken } from './services/tokens.ts';
import { bootstrapAdmin } from './services/users.ts';

/**
 * A fresh install gets a first admin user. Its token is RICOCHET_ADMIN_TOKEN when set, else a
 * generated one that is printed this once (only its hash is stored). When RICOCHET_ADMIN_TOKEN is
 * set on an install that already has users, it is added to the first admin, so the variable
 * always works.
 */
export async function ensureAdmin(prisma: PrismaClient, config: Config, logger: Logger): Promise<void> {
  const created = await bootstrapAdmin(prisma, {
    username: config.RICOCHET_ADMIN_USERNAME,
    ...(config.RICOCHET_ADMIN_TOKEN !== undefined && { token: config.RICOCHET_ADMIN_TOKEN }),
  });
  if (created) {
    logger.info({ userId: created.user.id, username: created.user.username }, 'created the first admin user');
    if (!config.RICOCHET_ADMIN_TOKEN) {
      process.stdout.write(
        `\n  Ricochet: first admin user "${created.user.username}" created. Its API token, shown only this once:\n\n` +
          `    ${created.token.token}\n\n` +
          '  Keep it safe (or set RICOCHET_ADMIN_TOKEN to choose the token yourself).\n\n',
      );
    }
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
