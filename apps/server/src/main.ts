import { parseArgs } from 'node:util';
import { ensureAdmin, printSetupLink } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import { sqlFor } from './db/sql.ts';
import { outboundPolicyFrom, workerSettingsFrom } from './delivery/settings.ts';
import { DeliveryWorker } from './delivery/worker.ts';
import { HistoryMaintenance } from './history/partitions.ts';
import { retentionFrom } from './history/retention.ts';
import { buildApp } from './http/app.ts';
import { createLogger } from './logger.ts';
import { AlertMailer, mailerSettingsFrom } from './mail/mailer.ts';
import { Metrics } from './metrics.ts';
import { OperatorError, startupFailureMessage } from './operator-error.ts';
import { HttpSender } from './outbound/http-sender.ts';
import { USER_AGENT } from './outbound/payload.ts';
import { emitOperatorEvents, readDeliveryHealth, retentionDroppedEvent } from './queue/index.ts';
import { forgetResolvedTokens, TOKEN_CHANGES_CHANNEL } from './services/tokens.ts';
import { telemetrySettingsFrom } from './telemetry/settings.ts';

const USAGE = `Usage: ricochet-server [--api] [--worker]

Starts the API (REST + tRPC) and the delivery worker; with --api or --worker, only that one.
Configuration comes from the environment; see README.md.
`;

/**
 * Starts Ricochet on the embedded PGlite database unless DATABASE_URL names a PostgreSQL server;
 * migrations are applied first either way. Any number of API and worker processes may share one
 * PostgreSQL database (the embedded database belongs to one process).
 */
async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      api: { type: 'boolean', default: false },
      worker: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const runApi = flags.api || !flags.worker;
  const runWorker = flags.worker || !flags.api;

  const config = loadConfig();
  const logger = createLogger(config);
  const db = await openDatabase({
    ...(config.DATABASE_URL !== undefined && { databaseUrl: config.DATABASE_URL }),
    dataDir: config.RICOCHET_DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  logger.info({ database: db.kind, api: runApi, worker: runWorker }, 'database ready, migrations applied');
  // OpenTelemetry, when OTEL_EXPORTER_OTLP_ENDPOINT is set: registered before any span is made. A
  // worker process also exports the delivery health gauges (the database's figures, the same from
  // every process).
  // The SDK is loaded only then (a dynamic import): without it, nothing of it is in memory.
  const telemetrySettings = telemetrySettingsFrom(config);
  const telemetry = telemetrySettings
    ? await import('./telemetry/sdk.ts').then(({ startTelemetry }) =>
        startTelemetry(
          telemetrySettings,
          runWorker ? () => readDeliveryHealth(sqlFor(db.prisma)) : undefined,
        ),
      )
    : undefined;
  if (telemetrySettings)
    logger.info(
      { collector: new URL(telemetrySettings.endpoint).host },
      'exporting traces and metrics (OTLP)',
    );

  const sender = new HttpSender({
    policy: outboundPolicyFrom(config),
    maxConcurrentPerHost: config.DELIVERY_MAX_CONCURRENT_PER_HOST,
    userAgent: USER_AGENT,
  });
  const metrics = new Metrics(db.prisma);
  // History partitions: the weeks ahead exist (awaited) before any request or delivery can write
  // (an installation stopped for weeks has none for now), then are kept hourly, with retention's
  // drops, by every process (they take turns through a lock).
  const maintenance = new HistoryMaintenance({
    prisma: db.prisma,
    policy: retentionFrom(config),
    logger,
    onDropped: (report) => emitOperatorEvents(sqlFor(db.prisma), [retentionDroppedEvent(report)]),
  });
  await maintenance.start();
  metrics.watchHistory(db.prisma, maintenance);

  // The port is bound before anything with a lasting effect happens (the first admin and its
  // one-time token, deliveries): a port in use stops the start with nothing done.
  let ready = false;
  let stopping = false;
  const app = runApi
    ? await buildApp({
        prisma: db.prisma,
        config,
        logger,
        sender,
        metrics,
        isReady: () => ready && !stopping,
      })
    : undefined;
  try {
    await app?.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    await app?.close();
    await maintenance.stop();
    await sender.close();
    await db.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new OperatorError(
        `Ricochet cannot listen on ${config.HOST}:${config.PORT}: ${
          code === 'EADDRINUSE'
            ? 'the port is already in use'
            : code === 'EACCES'
              ? 'permission denied'
              : 'the address is not on this machine'
        } (set PORT or HOST).`,
      );
    }
    throw error;
  }

  // Resolved tokens are cached per process; a revocation or a disabled user elsewhere empties it.
  const unlistenTokens = app
    ? await db.listen(TOKEN_CHANGES_CHANNEL, () => forgetResolvedTokens(db.prisma))
    : undefined;
  await ensureAdmin(db.prisma, config, logger);

  const worker = runWorker
    ? new DeliveryWorker({
        prisma: db.prisma,
        sender,
        logger,
        metrics,
        settings: workerSettingsFrom(config),
        listen: db.listen,
      })
    : undefined;
  await worker?.start();
  // Alert e-mails go from the worker processes, on a loop of their own (a dead SMTP server cannot
  // hold up deliveries); without SMTP_HOST there is no mailer and nothing is queued for one.
  const mailerSettings = runWorker ? mailerSettingsFrom(config) : undefined;
  const mailer = mailerSettings
    ? new AlertMailer({ sql: sqlFor(db.prisma), logger, settings: mailerSettings, listen: db.listen })
    : undefined;
  await mailer?.start();
  ready = true;

  // The one URL to open: the first admin's single-use setup link, or the dashboard's address.
  if (app) await printSetupLink(db.prisma, config);

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new claims, finishing the calls in flight');
    await app?.close();
    await worker?.stop();
    await mailer?.stop();
    await maintenance.stop();
    await unlistenTokens?.();
    await sender.close();
    await telemetry?.shutdown();
    await db.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${startupFailureMessage(error, 'Ricochet failed to start')}\n`);
  process.exit(1);
});
