import { parseArgs } from 'node:util';
import { ensureAdmin } from './bootstrap.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import { buildApp } from './http/app.ts';
import { createLogger } from './logger.ts';

/**
 * Starts Ricochet: the API (REST + tRPC) on PORT. Runs on the embedded PGlite database unless
 * DATABASE_URL names a PostgreSQL server; migrations are applied first either way.
 */
async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: { help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (flags.help) {
    process.stdout.write('Usage: ricochet-server\nConfiguration comes from the environment; see README.md.\n');
    return;
  }

  const config = loadConfig();
  const logger = createLogger(config);
  const db = await openDatabase({
    ...(config.DATABASE_URL !== undefined && { databaseUrl: config.DATABASE_URL }),
    dataDir: config.RICOCHET_DATA_DIR,
  });
  logger.info({ database: db.kind }, 'database ready, migrations applied');
  await ensureAdmin(db.prisma, config, logger);

  const app = await buildApp({ prisma: db.prisma, config, logger });
  await app.listen({ port: config.PORT, host: config.HOST });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Ricochet failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
