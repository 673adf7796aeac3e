import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStopped, type RicochetProcess, startRicochet, waitFor } from '@ricochet/testkit';
import pg from 'pg';
import { appRouter } from '../../src/api/index.ts';
import { freshPostgresDatabase, type TestDbBackend } from '../db-fixtures.ts';

import { BODY_LIMIT_BYTES, type FuzzTarget } from './requests.ts';

// The server under test (a real Ricochet process) and what the fuzzer knows of it: its targets,
// real ids, tokens, and a digest of everything stored.

const START_BUDGET_MS = 180_000;
const ADMIN_TOKEN = 'fuzz-admin-token-000000001';

export type FuzzServer = {
  base: string;
  process: RicochetProcess;
  tokens: { admin: string; user: string; readOnly: string };
  /** Ids of real records, so some requests reach past "not found". */
  ids: string[];
  targets: FuzzTarget[];
  /** A digest of everything stored, to prove a refused request wrote nothing. */
  snapshot(): Promise<string>;
  stop(): Promise<void>;
};

async function json(base: string, method: string, path: string, token: string, body?: unknown) {
  let response: Response;
  for (;;) {
    response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    // Under tight limits the setup itself waits its turn.
    if (response.status !== 429) break;
    await new Promise((resolve) =>
      setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000),
    );
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Every tRPC procedure of the router, read from the router itself so new ones are fuzzed too. */
export function trpcTargets(): FuzzTarget[] {
  const procedures = (
    appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: string } }> } }
  )._def.procedures;
  return Object.entries(procedures).map(([path, procedure]) => ({
    kind: 'trpc' as const,
    method: procedure._def.type === 'query' ? 'GET' : 'POST',
    path: `/trpc/${path}`,
  }));
}

/**
 * `limits: 'tight'` runs the server with small rate and sign-in limits (a budget of 8 requests or
 * procedures per second, accounts locked after two failures), so the fuzzer also meets 429s,
 * lockouts and their Retry-After, and checks that they keep every rule too.
 */
export async function startFuzzServer(
  backend: TestDbBackend,
  options: { limits?: 'loose' | 'tight' } = {},
): Promise<FuzzServer> {
  const cleanups: Array<() => Promise<void> | void> = [];
  let databaseEnv: Record<string, string>;
  let databaseUrl: string | undefined;
  if (backend === 'postgres') {
    const fresh = await freshPostgresDatabase();
    cleanups.push(fresh.drop);
    databaseUrl = fresh.url;
    databaseEnv = { DATABASE_URL: fresh.url };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'ricochet-fuzz-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    databaseEnv = { DATABASE_URL: '', RICOCHET_DATA_DIR: dir };
  }
  const server = startRicochet(['--api'], {
    ...databaseEnv,
    PORT: '0',
    RICOCHET_ADMIN_TOKEN: ADMIN_TOKEN,
    ...(options.limits === 'tight'
      ? {
          RATE_LIMIT_MAX: '8',
          RATE_LIMIT_WINDOW_MS: '1000',
          SIGN_IN_MAX_FAILURES: '2',
          SIGN_IN_CLIENT_MAX_FAILURES: '4',
          SIGN_IN_LOCKOUT_MS: '500',
          SIGN_IN_LOCKOUT_MAX_MS: '2000',
        }
      : { RATE_LIMIT_MAX: '10000000' }),
    BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
    // SuperOffice's test calls out synchronously: keep a hostile TargetUrl from holding requests.
    DELIVERY_ATTEMPT_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'info',
  });
  cleanups.unshift(() => ensureStopped([server]));
  const stop = async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  };
  try {
    const line = await server.waitForLine(/Server listening at/, START_BUDGET_MS);
    const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
    // The port is bound before the first admin exists: wait until its token works.
    await waitFor(
      'the admin token to work',
      async () =>
        (await fetch(`${base}/v2/users/me`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).ok,
      START_BUDGET_MS,
    );

    // A second user, its read-only token, and records of both, so ids resolve to something.
    const created = (await json(base, 'POST', '/v2/users', ADMIN_TOKEN, { username: 'fuzzer' })).data;
    const user = created.token.token as string;
    const readOnly = (
      await json(base, 'POST', '/v2/users/me/tokens', user, { name: 'ro', scope: 'READ_ONLY' })
    ).data;
    // Observer tokens: never handed to the fuzzer, so it cannot revoke what the snapshot reads with.
    const observer = (await json(base, 'POST', '/v2/users/me/tokens', user, { name: 'observer' })).data
      .token as string;
    const ids: string[] = [
      created.user.id,
      created.token.id,
      readOnly.id,
      'ACTOR.RUN.SUCCEEDED',
      'CUSTOM.FUZZ',
    ];
    await json(base, 'POST', '/v2/event-types', user, { name: 'CUSTOM.FUZZ' });
    for (const token of [ADMIN_TOKEN, user]) {
      const webhook = (
        await json(base, 'POST', '/v2/webhooks', token, {
          eventTypes: ['ACTOR.RUN.SUCCEEDED'],
          requestUrl: 'https://example.com/hook',
        })
      ).data;
      const dispatch = (await json(base, 'POST', `/v2/webhooks/${webhook.id}/test`, token)).data;
      const event = (
        await json(base, 'POST', '/v2/events', token, {
          eventType: 'ACTOR.RUN.SUCCEEDED',
          eventData: { a: 1 },
        })
      ).data;
      ids.push(webhook.id, dispatch.id, event.id);
    }

    const openApi = await json(base, 'GET', '/openapi.json', ADMIN_TOKEN);
    const restTargets: FuzzTarget[] = Object.entries(
      openApi.paths as Record<string, Record<string, unknown>>,
    ).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => ({
        kind: 'rest' as const,
        method: method.toUpperCase(),
        path,
      })),
    );
    const targets = [
      ...restTargets,
      ...trpcTargets(),
      ...[
        '/',
        '/nope',
        '/v2',
        '/v2/',
        '/trpc',
        '/trpc/',
        '/trpc/nope.nope',
        '/healthz',
        '/readyz',
        '/metrics',
        '/openapi.json',
        '/docs',
        '/docs/',
        '/docs/js/scalar.js',
      ].map((path) => ({ kind: 'other' as const, method: 'GET', path })),
    ];

    const snapshot =
      databaseUrl !== undefined
        ? postgresSnapshot(databaseUrl, cleanups)
        : () => apiSnapshot(base, { admin: ADMIN_TOKEN, user: observer });
    return {
      base,
      process: server,
      tokens: { admin: ADMIN_TOKEN, user, readOnly: readOnly.token },
      ids,
      targets,
      snapshot,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Every row of every table (but token last-use times, and the failed sign-ins a refused sign-in is
 * meant to count), digested in the database.
 */
function postgresSnapshot(url: string, cleanups: Array<() => Promise<void> | void>): () => Promise<string> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  const connected = client.connect();
  // Before the database is dropped (cleanups run in order: the server, this client, the database).
  cleanups.splice(1, 0, () => client.end());
  return async () => {
    await connected;
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
         AND table_name NOT IN ('_prisma_migrations', 'SignInThrottle')
       ORDER BY table_name`,
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      const { rows } = await client.query<{ digest: string }>(
        `SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), '') AS digest
         FROM (SELECT (to_jsonb(t) - 'lastUsedAt') AS r FROM ${quoted} t) s`,
      );
      parts.push(`${name}=${rows[0]?.digest}`);
    }
    return parts.join(' ');
  };
}

/** PGlite belongs to the server process, so its state is read through the API, as each user. */
async function apiSnapshot(base: string, tokens: { admin: string; user: string }): Promise<string> {
  const parts: string[] = [];
  for (const [who, token] of Object.entries(tokens)) {
    for (const path of [
      '/v2/users/me',
      '/v2/webhooks?limit=1000',
      '/v2/webhook-dispatches?limit=1000',
      '/v2/users/me/tokens',
      '/v2/event-types',
      ...(who === 'admin' ? ['/v2/users'] : []),
    ]) {
      let response: Response;
      for (;;) {
        response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        // Under tight limits the snapshot waits for its budget like any client.
        if (response.status !== 429) break;
        await new Promise((resolve) =>
          setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000),
        );
      }
      parts.push(
        `${who} ${path} ${response.status} ${(await response.text()).replace(/"lastUsedAt":(null|"[^"]*")/g, '')}`,
      );
    }
  }
  return parts.join('\n');
}
