import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { TRPC_MAX_BATCH_SIZE } from '@ricochet/schema';
import fc from 'fast-check';
import { BODY_LIMIT_BYTES, type FuzzRequest, type FuzzTarget } from './requests.ts';
import { type FuzzServer, trpcTargets } from './server.ts';

// The requests the fuzzer makes: random and hostile ids, query strings, bodies, Content-Types,
// Content-Encodings and tokens, for every target.

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
