import cookie from '@fastify/cookie';
import { CSRF_HEADER, TRPC_MAX_BATCH_SIZE } from '@ricochet/schema';
import apiReference from '@scalar/fastify-api-reference';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import secureJson from 'secure-json-parse';
import { type AppRouter, appRouter, restRoutes } from '../api/index.ts';
import { buildOpenApiDocument } from '../api/openapi.ts';
import { registerRoutes } from '../api/rest.ts';
import type { TrpcContext } from '../api/trpc.ts';
import type { Config } from '../config.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { retentionFrom, setRetentionPolicy } from '../history/retention.ts';
import type { Metrics } from '../metrics.ts';
import type { HttpSender } from '../outbound/http-sender.ts';
import { AppError } from '../services/errors.ts';
import { MAX_INPUT_DEPTH, nestsDeeperThan } from '../services/storable-input.ts';
import { authenticate } from './auth.ts';
import { configuredOrigins, isCrossOrigin } from './csrf.ts';
import { decompressRequestBody } from './decompress.ts';
import { answerClientError, errorAnswer, invalidJsonBody, sendError, toAppError } from './errors.ts';
import type {} from './fastify-decorations.ts';
import { enforceRequestBudget, RequestBudgets } from './rate-limits.ts';
import { httpExchange } from './session-cookie.ts';

export type AppDependencies = {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  /** Outbound calls made while answering (SuperOffice's synchronous Webhook/Test). */
  sender: HttpSender;
  metrics?: Metrics;
  version?: string;
  /**
   * Whether the process is ready for traffic: main.ts says so once the first admin (and
   * RICOCHET_ADMIN_TOKEN) exists, and no longer once it is stopping. /readyz answers 503 until then.
   */
  isReady?: () => boolean;
};

/** The HTTP server: REST (Apify-compatible) under /v2 and /api, tRPC under /trpc, health and docs. */
export async function buildApp({
  prisma,
  config,
  logger,
  sender,
  metrics,
  version = '0.1.0',
  isReady = () => true,
}: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Headers and body must arrive within REQUEST_TIMEOUT_MS (Fastify's default is no limit at all,
    // so a body sent one byte every few seconds held its connection for ever). Node checks the
    // pending requests every connectionsCheckingInterval, so a late one is closed within a quarter
    // of the timeout after it; the headers' own timeout cannot be longer than the whole request's.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(60_000, config.REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: Math.max(250, Math.floor(config.REQUEST_TIMEOUT_MS / 4)),
    },
    // Long tRPC batch URLs and Apify's ids fit easily; anything longer is abuse.
    routerOptions: { maxParamLength: 500 },
    // Requests refused before routing (bad percent-encoding, an over-long id, headers too large)
    // get the same envelope as every other error.
    frameworkErrors: (error, _request, reply) => sendError(reply, error),
    clientErrorHandler: answerClientError,
    // request.ip (per-address rate limits), .host and .protocol read X-Forwarded-* only when the
    // peer is one of these proxies (the dashboard's /trpc proxy by default); anyone else's are ignored.
    trustProxy: config.TRUST_PROXY,
  });
  app.decorate('ricochetConfig', config);
  // Readers cut each user's history at their retention (history/retention.ts).
  setRetentionPolicy(prisma, retentionFrom(config));
  app.decorateRequest('principal', null);
  app.decorateRequest('authenticatedBy', null);
  const sameSiteOrigins = configuredOrigins(config);

  app.setErrorHandler((error, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new AppError(
        'record-not-found',
        `There is no API end-point at ${request.method} ${request.url.split('?')[0]}.`,
      ),
    ),
  );

  // tRPC answers are private to the session that asked (auth.session carries its CSRF token): no
  // browser or proxy may keep them, errors included.
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/trpc')) reply.header('cache-control', 'no-store');
  });
  app.addHook('preParsing', decompressRequestBody);
  // Bodies are JSON whatever they are labelled (SuperOffice clients send text/json and friends;
  // apify-client labels bodiless POSTs as form data), and an empty body is no body, even when
  // labelled application/json (a DELETE with that header still deletes). Routes without a body
  // ignore it. Fastify's own parsers would refuse both, so this one replaces them; like them, it
  // refuses `__proto__` and `constructor.prototype` keys.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      return done(invalidJsonBody((error as Error).message));
    }
    // Deeper input is refused here, before anything recursive (tRPC's adapter re-serialises the
    // body with JSON.stringify) can overflow the stack on it.
    if (nestsDeeperThan(parsed, MAX_INPUT_DEPTH)) {
      return done(
        new AppError(
          'invalid-input',
          `Invalid input: the request body is nested deeper than ${MAX_INPUT_DEPTH} levels.`,
        ),
      );
    }
    done(null, parsed);
  });
  await app.register(cookie);
  // Who is asking is resolved once per request; each route then says what it requires. An invalid
  // token is not refused here but by the route, after the rate limiter has counted the request.
  app.addHook('onRequest', async (request) => {
    const { principal, by } = await authenticate(prisma, request);
    request.principal = principal;
    request.authenticatedBy = by;
  });

  // Limits are per token; requests without a valid token share a budget per client address, so
  // guessing tokens is limited too. Every procedure of a tRPC batch counts (see rate-limits.ts).
  app.addHook(
    'onRequest',
    enforceRequestBudget(new RequestBudgets(config.RATE_LIMIT_MAX, config.RATE_LIMIT_WINDOW_MS)),
  );

  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { rateLimit: false } }, async (_request, reply) => {
    // The port is bound before the first admin is created (so a port in use stops a start with
    // nothing done); until that is done, requests with RICOCHET_ADMIN_TOKEN would get 401.
    if (!isReady()) {
      const { status, envelope } = errorAnswer('service-unavailable', 'Ricochet is starting or stopping.');
      return reply.code(status).header('retry-after', '1').send(envelope);
    }
    try {
      await prisma.$queryRaw`SELECT 1`;
      return { status: 'ready' };
    } catch {
      const { status, envelope } = errorAnswer('service-unavailable', 'The database is not reachable.');
      return reply.code(status).send(envelope);
    }
  });

  if (metrics) {
    app.get('/metrics', { config: { rateLimit: false } }, async (_request, reply) =>
      reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  }

  registerRoutes(app, { prisma, sender, config }, restRoutes);
  const openApiDocument = buildOpenApiDocument(restRoutes, { version });
  app.get('/openapi.json', { config: { rateLimit: false } }, async () => openApiDocument);
  // The API reference people read, rendered by Scalar in the browser from the same document. Its
  // script is served from the package (no CDN, no web fonts): it works on a machine offline.
  await app.register(apiReference, {
    routePrefix: '/docs',
    logLevel: 'warn',
    configuration: {
      url: '/openapi.json',
      pageTitle: 'Ricochet API',
      withDefaultFonts: false,
      hideClientButton: true,
      telemetry: false,
      // Scalar's hosted extras (its AI chat, MCP generator, deploy toolbar) talk to Scalar's servers.
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: 'never',
    },
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      // Refused earlier, in the request budget's hook; this is tRPC's own guard behind it.
      maxBatchSize: TRPC_MAX_BATCH_SIZE,
      createContext: ({ req, res }): TrpcContext => ({
        prisma,
        sender,
        config,
        principal: req.principal,
        ...(typeof req.headers.traceparent === 'string' && { traceparent: req.headers.traceparent }),
        http: httpExchange(req, res, {
          header: req.headers[CSRF_HEADER],
          sessionFromCookie: req.authenticatedBy === 'session-cookie',
          crossOrigin: isCrossOrigin(req, sameSiteOrigins),
        }),
      }),
      // tRPC answers with its own status; a 503 (or 429) still tells the client when to retry.
      responseMeta: ({ errors }) => {
        const retryAfter = errors
          .map((error) => toAppError(error.cause)?.extra.retryAfterSeconds)
          .find((seconds) => seconds !== undefined);
        return retryAfter === undefined ? {} : { headers: { 'retry-after': String(retryAfter) } };
      },
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR')
          logger.error({ err: error.cause ?? error, path }, 'tRPC error');
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  return app;
}
