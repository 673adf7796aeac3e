import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Config, loadConfig } from '../src/config.ts';
import type { PrismaClient } from '../src/generated/prisma/client.ts';
import { buildApp } from '../src/http/app.ts';
import { createLogger } from '../src/logger.ts';
import { Metrics } from '../src/metrics.ts';
import { HttpSender } from '../src/outbound/http-sender.ts';
import { USER_AGENT } from '../src/outbound/payload.ts';
import { limitsFrom } from '../src/services/limits.ts';
import { createApiToken } from '../src/services/tokens.ts';
import { createUser } from '../src/services/users.ts';
import { test as dbTest } from './db-fixtures.ts';

export type TestUser = { id: string; username: string; token: string };

export type TestApi = {
  app: FastifyInstance;
  prisma: PrismaClient;
  config: Config;
  metrics: Metrics;
  /** An admin user with a FULL token. */
  admin: TestUser;
  /** A new non-admin user with a FULL token. */
  createUser(username: string): Promise<TestUser>;
  /** A READ_ONLY token of a user. */
  readOnlyToken(user: TestUser): Promise<string>;
  /** app.inject with a token (Bearer) and a JSON body. */
  request(
    method: InjectOptions['method'],
    url: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  /** Listens on 127.0.0.1 and returns the base URL, for real HTTP clients (apify-client). */
  listen(): Promise<string>;
};

/** Environment for a test server: rate limits out of the way, loopback receivers allowed. */
export const TEST_ENV: Record<string, string> = {
  LOG_LEVEL: 'silent',
  RATE_LIMIT_MAX: '100000',
  OUTBOUND_ALLOW_LOOPBACK: 'true',
  DELIVERY_ATTEMPT_TIMEOUT_MS: '5000',
};

/** The installation's default limits, for tests that call services directly. */
export const TEST_LIMITS = limitsFrom(loadConfig({}));

/** Log lines a test server wrote (JSON), when the test asked to keep them. */
export type LogCapture = { lines: string[]; destination: { write(line: string): void } };

/** Keeps every log line of a test server, to read what it logged. */
export function captureLog(): LogCapture {
  const lines: string[] = [];
  return { lines, destination: { write: (line) => void lines.push(...line.split('\n').filter(Boolean)) } };
}

export async function startTestApi(
  prisma: PrismaClient,
  env: Record<string, string> = {},
  options: { log?: LogCapture } = {},
) {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const logger = createLogger(config, options.log?.destination);
  const sender = new HttpSender({
    policy: { allowLoopback: config.OUTBOUND_ALLOW_LOOPBACK, allowPrivate: false },
    userAgent: USER_AGENT,
  });
  const metrics = new Metrics(prisma);
  const app = await buildApp({ prisma, config, logger, sender, metrics });
  const makeUser = async (username: string, isAdmin = false): Promise<TestUser> => {
    const created = await createUser(prisma, { input: { username, isAdmin } });
    return { id: created.user.id, username, token: created.token.token };
  };
  const admin = await makeUser('admin', true);
  const api: TestApi = {
    app,
    prisma,
    config,
    metrics,
    admin,
    createUser: (username) => makeUser(username),
    readOnlyToken: async (user) =>
      (await createApiToken(prisma, { userId: user.id, name: 'read-only', scope: 'READ_ONLY' })).token,
    request: (method, url, options = {}) => {
      const token = options.token === undefined ? admin.token : options.token;
      return app.inject({
        method,
        url,
        headers: {
          ...(token !== null && { authorization: `Bearer ${token}` }),
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body !== undefined && {
          payload:
            typeof options.body === 'string' || Buffer.isBuffer(options.body)
              ? options.body
              : JSON.stringify(options.body),
        }),
      });
    },
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('no address');
      return `http://127.0.0.1:${address.port}`;
    },
  };
  const close = async () => {
    await app.close();
    await sender.close();
  };
  return { api, close };
}

/** `api`: a server on the test's own fresh database, with an admin user. */
export const test = dbTest.extend<{ api: TestApi }>({
  api: async ({ db }, use) => {
    const { api, close } = await startTestApi(db.prisma);
    await use(api);
    await close();
  },
});

export { describe, expect } from 'vitest';

/** A valid webhook body, with overrides. */
export function webhookInput(overrides: Record<string, unknown> = {}) {
  return {
    eventTypes: ['ACTOR.RUN.SUCCEEDED'],
    requestUrl: 'https://example.com/hook',
    condition: { actorId: 'hksJZtadYvn4mBuin' },
    ...overrides,
  };
}
