import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { ERROR_HTTP_STATUS, ERROR_TYPES, type ErrorType, TRPC_MAX_BATCH_SIZE } from '@ricochet/schema';
import { ensureStopped, type RicochetProcess, startRicochet } from '@ricochet/testkit';
import fc from 'fast-check';
import pg from 'pg';
import { appRouter } from '../../src/api/index.ts';
import { freshPostgresDatabase, type TestDbBackend } from '../db-fixtures.ts';

/**
 * Property-based fuzzing of a real Ricochet process: every REST operation in its /openapi.json,
 * SuperOffice's endpoint and every tRPC procedure of the router, with random and hostile ids,
 * query strings, bodies, Content-Types, Content-Encodings and tokens. After every request: the
 * process is alive, nothing answered 5xx, every error is the envelope with a type (and, on REST,
 * the status) of the schema's table, and a refused request wrote nothing.
 */

const BODY_LIMIT_BYTES = 65_536;
const START_BUDGET_MS = 180_000;
const REQUEST_BUDGET_MS = 60_000;
const ADMIN_TOKEN = 'fuzz-admin-token-000000001';

export type FuzzTarget = {
  kind: 'rest' | 'trpc' | 'other';
  method: string;
  /** With `{name}` placeholders for path parameters (OpenAPI's form). */
  path: string;
};

export type FuzzRequest = {
  target: FuzzTarget;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** What the body is, for the failure report (bodies may be binary or huge). */
  bodyLabel: string;
};

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

// ---------------------------------------------------------------------------------------------
// The server under test and what the fuzzer knows of it.

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
      async () =>
        (await fetch(`${base}/v2/users/me`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).ok,
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

async function waitFor(condition: () => Promise<boolean>, budgetMs = START_BUDGET_MS): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
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

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const HOSTILE_STRINGS = [
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '💥',
  '__proto__',
  'constructor',
  'prototype',
  '../../etc/passwd',
  "' OR 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal injection probe, not a template.
  '${jndi:ldap://x}',
  '{{eventData}}',
  '<script>',
  'x'.repeat(10_000),
  '-1',
  '1e309',
  'NaN',
  'true',
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

/** Path segments: real ids, random text, and raw (already encoded) hostile ones. */
function idArbitrary(ids: string[]) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids).map(encodeURIComponent) },
    {
      weight: 2,
      arbitrary: hostileString.map((value) => encodeURIComponent(value.replace(/[\ud800-\udfff]/g, 'x'))),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '%00',
        'a%00',
        '%ff',
        '%C0%AE',
        '%ED%A0%80',
        '%2e%2e%2f',
        '..',
        '.',
        '%',
        '%zz',
        'a'.repeat(501),
        'a'.repeat(499),
        '__proto__',
      ),
    },
  );
}

const queryArbitrary = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'limit',
          'offset',
          'desc',
          'token',
          'status',
          'input',
          'batch',
          '__proto__',
          'constructor',
        ),
        fc.string({ maxLength: 8 }),
      ),
      fc.oneof(
        hostileString.map((value) => encodeURIComponent(value.replace(/[\ud800-\udfff]/g, 'x'))),
        fc.constantFrom(
          '%00',
          '%ff',
          '%zz',
          '%',
          '-1',
          '1000000000000000000000',
          '0',
          '1',
          'true',
          '%E0%80%80',
        ),
        fc.integer().map(String),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${value}`).join('&'));

const jsonTextArbitrary = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .dictionary(hostileString, fc.oneof(hostileString, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 5 })
    .map((value) => JSON.stringify(value)),
);

/** A body close to valid for a target, with fields replaced by hostile values. */
function nearlyValidBody(target: FuzzTarget) {
  const valid: Record<string, unknown> = target.path.includes('event')
    ? { eventType: 'ACTOR.RUN.SUCCEEDED', eventData: { actorId: 'a', nested: { x: 1 } }, name: 'CUSTOM.X' }
    : target.path.includes('Webhook/Test')
      ? {
          Name: 'so',
          TargetUrl: 'https://example.com/hook',
          Secret: 'fuzz-superoffice-secret',
          Events: ['test'],
        }
      : target.path.includes('auth.signIn')
        ? { username: 'admin', password: 'a guessed password', token: 'ricochet_api_guessguessguess' }
        : target.path.includes('token') || target.path.includes('users')
          ? { name: 'fuzz', scope: 'READ_ONLY', username: 'fuzz-user' }
          : {
              eventTypes: ['ACTOR.RUN.SUCCEEDED'],
              requestUrl: 'https://example.com/hook',
              description: 'd',
              condition: { actorId: 'a' },
            };
  const keys = Object.keys(valid);
  return fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...keys), hostileString),
        fc.oneof(hostileString, fc.jsonValue({ maxDepth: 3 })),
      ),
      { maxLength: 3 },
    )
    .map((overrides) => {
      const body: Record<string, unknown> = { ...valid };
      for (const [key, value] of overrides)
        Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
      return JSON.stringify(body);
    });
}

type BodyChoice = { bytes: Buffer; label: string };

function bodyArbitrary(target: FuzzTarget): fc.Arbitrary<BodyChoice | undefined> {
  const text = (arbitrary: fc.Arbitrary<string>, label: string) =>
    arbitrary.map((value) => ({
      bytes: Buffer.from(value, 'utf8'),
      label: `${label}: ${value.length > 300 ? `${value.slice(0, 300)}…(${value.length})` : value}`,
    }));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: text(nearlyValidBody(target), 'nearly valid') },
    { weight: 3, arbitrary: text(jsonTextArbitrary, 'json') },
    {
      weight: 1,
      arbitrary: text(
        fc.constantFrom(
          '{"__proto__":{"isAdmin":true}}',
          '{"constructor":{"prototype":{"isAdmin":true}}}',
          '{"eventType":"ACTOR.RUN.SUCCEEDED","eventData":{"__proto__":{"x":1}}}',
          '{"eventType":"ACTOR.RUN.SUCCEEDED","eventData":{"a":"\\u0000"}}',
          '{"eventType":"ACTOR.RUN.SUCCEEDED","eventData":{"a":"\\ud800"}}',
          '{"eventTypes":["ACTOR.RUN.SUCCEEDED"],"requestUrl":"https://example.com","description":"\\udfff"}',
          '{"Name":"\\u0000","TargetUrl":"https://example.com","Secret":"\\ud800\\ud800\\ud800\\ud800"}',
          '{',
          '[',
          '"',
          'null',
          '0',
          '""',
          '[]',
          '{}',
          ' ',
          '\n',
          'undefined',
          '{"a":1}{"b":2}',
        ),
        'hostile json',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 2, max: 200_000 }).map((depth) => ({
        bytes: Buffer.from(
          `{"eventType":"ACTOR.RUN.SUCCEEDED","eventData":${'['.repeat(depth)}${']'.repeat(depth)}}`,
        ),
        label: `nesting ${depth} deep`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1_000, max: 3 * BODY_LIMIT_BYTES }).map((size) => ({
        bytes: Buffer.from(
          JSON.stringify({
            description: 'x'.repeat(size),
            eventType: 'ACTOR.RUN.SUCCEEDED',
            eventData: { s: 'y'.repeat(size) },
          }),
        ),
        label: `huge strings of ${size}`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({
        bytes: Buffer.concat([
          Buffer.from('{"description":"'),
          Buffer.from(bytes),
          Buffer.from('\xff\xfe\xc0\xae"}', 'latin1'),
        ]),
        label: `invalid UTF-8 ${Buffer.from(bytes).toString('hex')}`,
      })),
    },
  );
}

const GZIP_BOMB = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));

const encodingArbitrary = fc.constantFrom(
  'none',
  'none',
  'none',
  'gzip',
  'deflate',
  'br',
  'gzip-garbage',
  'br-garbage',
  'deflate-garbage',
  'gzip-truncated',
  'gzip-bomb',
  'unknown',
  'gzip-label-only',
  'double',
);

function encodeBody(
  body: Buffer | undefined,
  encoding: string,
): { body: Buffer | undefined; header?: string } {
  const plain = body ?? Buffer.alloc(0);
  switch (encoding) {
    case 'gzip':
      return { body: gzipSync(plain), header: 'gzip' };
    case 'deflate':
      return { body: deflateSync(plain), header: 'deflate' };
    case 'br':
      return { body: brotliCompressSync(plain), header: 'br' };
    case 'gzip-garbage':
      return { body: Buffer.from('xx'), header: 'gzip' };
    case 'br-garbage':
      return { body: Buffer.from('\x00\x01garbage'), header: 'br' };
    case 'deflate-garbage':
      return { body: Buffer.from('not deflate'), header: 'deflate' };
    case 'gzip-truncated': {
      const zipped = gzipSync(
        plain.length > 0 ? plain : Buffer.from('{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}'),
      );
      return { body: zipped.subarray(0, Math.max(1, zipped.length - 5)), header: 'gzip' };
    }
    case 'gzip-bomb':
      return { body: GZIP_BOMB, header: 'gzip' };
    case 'unknown':
      return { body, header: 'zstd' };
    case 'gzip-label-only':
      return { body, header: 'gzip' };
    case 'double':
      return { body: gzipSync(gzipSync(plain)), header: 'gzip, gzip' };
    default:
      return { body };
  }
}

const contentTypeArbitrary = fc.constantFrom(
  undefined,
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16le',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  ';;;===',
  'application/json;;;',
  '*/*',
  '',
  'a/b; c="',
);

export function requestArbitrary(server: FuzzServer): fc.Arbitrary<FuzzRequest> {
  const { tokens } = server;
  type TokenChoice = { header?: string; query?: string };
  const tokenArbitrary: fc.Arbitrary<TokenChoice> = fc.oneof(
    fc.constantFrom<TokenChoice>(
      { header: `Bearer ${tokens.admin}` },
      { header: `Bearer ${tokens.user}` },
      { header: `Bearer ${tokens.user}` },
      { header: `Bearer ${tokens.readOnly}` },
      { header: tokens.user },
      { query: `token=${tokens.user}` },
      { query: `token=${tokens.admin}` },
      {},
      { header: 'Bearer wrong-token-0000000000' },
      { header: 'Bearer' },
      { header: 'Basic dXNlcjpwYXNz' },
      { query: 'token=%00' },
      { query: 'token=%ff' },
      { query: `token=${'a'.repeat(5000)}` },
    ),
    fc
      .string({ maxLength: 40 })
      .map((value): TokenChoice => ({ header: `Bearer ${value.replace(/[^\x20-\x7e]/g, '')}` })),
  );
  const trpcPaths = trpcTargets().map((target) => target.path.slice('/trpc/'.length));
  return fc.constantFrom(...server.targets).chain((target) =>
    fc
      .record({
        ids: fc.array(idArbitrary(server.ids), { minLength: 3, maxLength: 3 }),
        method: fc.oneof(
          { weight: 6, arbitrary: fc.constant(target.method) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
          },
        ),
        query: queryArbitrary,
        trpcInput: fc.oneof(fc.constant(undefined), jsonTextArbitrary, nearlyValidBody(target)),
        body: bodyArbitrary(target),
        encoding: encodingArbitrary,
        contentType: contentTypeArbitrary,
        token: tokenArbitrary,
        // A batch: this procedure and others of the router, up to a few more than a batch may carry.
        batch: fc.oneof(
          { weight: 3, arbitrary: fc.constant([] as string[]) },
          {
            weight: 2,
            arbitrary: fc.array(fc.constantFrom(...trpcPaths), {
              minLength: 1,
              maxLength: TRPC_MAX_BATCH_SIZE + 2,
            }),
          },
        ),
        keyedBody: fc.boolean(),
      })
      .map(({ ids, method, query, trpcInput, body, encoding, contentType, token, batch, keyedBody }) => {
        let index = 0;
        let path = target.path.replace(/\{[^}]+\}/g, () => ids[index++ % ids.length] as string);
        const queryParts = [query];
        const batched = target.kind === 'trpc' && batch.length > 0;
        if (target.kind === 'trpc') {
          if (batched) path = [path, ...batch].join(',');
          const size = batch.length + 1;
          if (method === 'GET' && trpcInput !== undefined) {
            const input = batched
              ? `{${Array.from({ length: size }, (_, at) => `"${at}":${trpcInput}`).join(',')}}`
              : trpcInput;
            queryParts.push(`input=${encodeURIComponent(input.replace(/[\ud800-\udfff]/g, 'x'))}`);
          }
          if (batched) queryParts.push('batch=1');
          // A batched POST carries its inputs keyed by position, as tRPC's client sends them.
          if (batched && keyedBody && body) {
            const text = body.bytes.toString('utf8');
            body = {
              bytes: Buffer.from(`{${Array.from({ length: size }, (_, at) => `"${at}":${text}`).join(',')}}`),
              label: `${size} × ${body.label}`,
            };
          }
        }
        if (token.query) queryParts.push(token.query);
        const encoded = encodeBody(
          body?.bytes,
          body ? encoding : encoding === 'gzip-garbage' ? encoding : 'none',
        );
        const headers: Record<string, string> = {};
        if (token.header !== undefined) headers.authorization = token.header;
        if (contentType !== undefined) headers['content-type'] = contentType;
        if (encoded.header) headers['content-encoding'] = encoded.header;
        return {
          target,
          method,
          path,
          query: queryParts.filter(Boolean).join('&'),
          headers,
          body: encoded.body,
          bodyLabel: `${body?.label ?? 'no body'} (encoding ${encoding})`,
        };
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// Sending and checking.

function send(base: string, request: FuzzRequest): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    const url = `${base}${request.path}${request.query ? `?${request.query}` : ''}`;
    let settled = false;
    const finish = (value: Answer | { error: string }) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    try {
      const outgoing = httpRequest(
        url,
        {
          method: request.method,
          agent: false,
          headers: {
            ...request.headers,
            ...(request.body && { 'content-length': String(request.body.length) }),
          },
          timeout: REQUEST_BUDGET_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            finish({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', (error) => finish({ error: error.message }));
        },
      );
      outgoing.on('timeout', () => {
        outgoing.destroy();
        finish({ error: `no answer within ${REQUEST_BUDGET_MS} ms` });
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        finish({ error: `${error.code ?? ''} ${error.message}` }),
      );
      if (request.body) outgoing.write(request.body);
      outgoing.end();
    } catch (error) {
      // The client itself refused to send it (e.g. a character Node allows in no header).
      finish({ error: `unsendable: ${(error as Error).message}` });
    }
  });
}

/** Why an answer breaks the rules, or undefined when it keeps them. */
export function checkAnswer(request: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}`;
  if (answer.status < 400 && !(request.target.kind === 'trpc' && answer.status === 207)) return undefined;
  if (request.method === 'HEAD') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return `error answer is not JSON: ${answer.body.slice(0, 200)}`;
  }
  // SuperOffice's paths answer in SuperOffice's error shape, naming Ricochet's type in ErrorSource.
  if (/^\/api\/v1(\/|$)/i.test(request.path)) {
    const superOffice = parsed as { Error?: unknown; Message?: unknown; ErrorSource?: unknown };
    const type = /^Ricochet \(([a-z-]+)\)$/.exec(String(superOffice.ErrorSource))?.[1];
    if (superOffice.Error !== true || typeof superOffice.Message !== 'string' || !type) {
      return `not SuperOffice's error shape: ${answer.body.slice(0, 200)}`;
    }
    if (!(ERROR_TYPES as readonly string[]).includes(type)) return `error type not in the table: ${type}`;
    if (ERROR_HTTP_STATUS[type as ErrorType] !== answer.status)
      return `status ${answer.status} does not match ${type}`;
    return undefined;
  }
  const trpc = request.path.startsWith('/trpc/') && request.path.length > '/trpc/'.length;
  const errors = (Array.isArray(parsed) ? parsed : [parsed]).filter(
    (item) => item && typeof item === 'object' && 'error' in item,
  ) as Array<{ error: { type?: unknown; message?: unknown } }>;
  if (errors.length === 0) return `error answer without an error: ${answer.body.slice(0, 200)}`;
  for (const { error } of errors) {
    if (!error || typeof error.message !== 'string')
      return `error without a message: ${answer.body.slice(0, 200)}`;
    if (!(ERROR_TYPES as readonly unknown[]).includes(error.type))
      return `error type not in the table: ${answer.body.slice(0, 200)}`;
    if (!trpc && ERROR_HTTP_STATUS[error.type as ErrorType] !== answer.status) {
      return `status ${answer.status} does not match ${String(error.type)}`;
    }
    if (!trpc && Object.keys(parsed as object).join() !== 'error')
      return `not the envelope: ${answer.body.slice(0, 200)}`;
  }
  return undefined;
}

export function describeRequest(request: FuzzRequest): string {
  const query = request.query.length > 300 ? `${request.query.slice(0, 300)}…` : request.query;
  return `${request.method} ${request.path.slice(0, 300)}${query ? `?${query}` : ''} ${JSON.stringify(request.headers).slice(0, 400)} body: ${request.bodyLabel.slice(0, 400)}`;
}

/** Runs the property; throws with the seed and the offending request when it does not hold. */
export async function fuzz(
  server: FuzzServer,
  options: { runs: number; seed: number },
): Promise<{ requests: number; refused: number; batches: number; statuses: Record<number, number> }> {
  let before = await server.snapshot();
  const statuses: Record<number, number> = {};
  let requests = 0;
  let refused = 0;
  let batches = 0;
  let failure: { request: FuzzRequest; problem: string } | undefined;
  const property = fc.asyncProperty(requestArbitrary(server), async (request) => {
    try {
      await check(request);
    } catch (error) {
      failure = { request, problem: (error as Error).message };
      throw error;
    }
  });
  const check = async (request: FuzzRequest) => {
    requests++;
    if (/(^|&)batch=1(&|$)/.test(request.query)) batches++;
    const answer = await send(server.base, request);
    if (server.process.child.exitCode !== null || server.process.child.signalCode !== null) {
      throw new Error(`the server died:\n${server.process.lines.slice(-20).join('\n')}`);
    }
    if ('error' in answer) {
      // Answering 413 early and closing while a large body is still being sent is fine.
      const large = (request.body?.length ?? 0) > BODY_LIMIT_BYTES / 2 || request.bodyLabel.includes('bomb');
      if (
        !(large && /EPIPE|ECONNRESET|socket hang up/.test(answer.error)) &&
        !answer.error.startsWith('unsendable')
      ) {
        throw new Error(`no answer: ${answer.error}`);
      }
    } else {
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      const problem = checkAnswer(request, answer);
      if (problem) throw new Error(problem);
    }
    const health = await fetch(`${server.base}/healthz`).then(
      (response) => response.status,
      (error: Error) => error.message,
    );
    if (health !== 200) throw new Error(`/healthz answered ${health} after the request`);
    const after = await server.snapshot();
    if ('status' in answer && answer.status >= 400 && after !== before) {
      const previous = new Set(before.split('\n'));
      const next = new Set(after.split('\n'));
      const added = [...next].filter((line) => !previous.has(line));
      const removed = [...previous].filter((line) => !next.has(line));
      throw new Error(
        `a refused request (${answer.status}: ${answer.body.slice(0, 300)}) changed the stored data:\n` +
          `before: ${removed.join('\n').slice(0, 1500)}\nafter: ${added.join('\n').slice(0, 1500)}`,
      );
    }
    if (!('status' in answer)) refused++;
    else if (answer.status >= 400) refused++;
    before = after;
  };
  try {
    await fc.assert(property, { numRuns: options.runs, seed: options.seed, endOnFailure: true, verbose: 0 });
  } catch (error) {
    const detail = failure
      ? `${failure.problem}\nrequest: ${describeRequest(failure.request)}`
      : (error as Error).message.slice(0, 4000);
    throw new Error(
      `Fuzzing failed with seed ${options.seed} (replay: FUZZ_SEED=${options.seed} FUZZ_RUNS=${options.runs}): ${detail}`,
    );
  }
  return { requests, refused, batches, statuses };
}
