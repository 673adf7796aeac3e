/**
 * Ricochet's live REST answers against Apify's own OpenAPI description (vendored in
 * ./apify-openapi, see its README): for every Apify webhook endpoint, every field Apify's response
 * schema defines must be present with Apify's type, whether or not Apify marks it required
 * (a client written against those schemas reads them all). Request bodies that Apify's
 * WebhookCreate / WebhookUpdate accept must be accepted too.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_TYPES } from '@ricochet/schema';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { describe, expect, respond, test } from '../delivery-fixtures.ts';

const OPENAPI_DIR = join(dirname(fileURLToPath(import.meta.url)), 'apify-openapi');
type Schema = Record<string, unknown>;

/** A vendored YAML file with every `$ref` to another file replaced by that file's content. */
function load(path: string): Schema {
  const file = resolve(OPENAPI_DIR, path);
  return dereference(parseYaml(readFileSync(file, 'utf8')), dirname(file)) as Schema;
}

function dereference(value: unknown, directory: string): unknown {
  if (Array.isArray(value)) return value.map((item) => dereference(item, directory));
  if (!value || typeof value !== 'object') return value;
  const ref = (value as Schema).$ref;
  if (typeof ref === 'string' && !ref.includes('#')) {
    const file = resolve(directory, ref);
    return dereference(parseYaml(readFileSync(file, 'utf8')), dirname(file));
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, dereference(inner, directory)]),
  );
}

/**
 * Every property an object schema defines becomes required. Event data is the publisher's own
 * object: there only Apify's own `required` list applies.
 */
function everyFieldRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(everyFieldRequired);
  if (!schema || typeof schema !== 'object') return schema;
  const result = Object.fromEntries(
    Object.entries(schema).map(([key, inner]) => [key, everyFieldRequired(inner)]),
  ) as Schema;
  if (result.properties && result.title !== 'eventData') {
    result.required = Object.keys(result.properties as Schema);
  }
  // Ricochet answers the error types of the API documents it was built from (the seed's list, kept
  // on purpose); Apify's current list renamed three of them (e.g. token-not-valid, now
  // invalid-token). Both lists are accepted.
  if (result.title === 'ErrorType' && Array.isArray(result.enum)) {
    result.enum = [...new Set([...result.enum, ...ERROR_TYPES])];
  }
  return result;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);

/** The success or error schema of an operation in one of Apify's path files. */
function responseSchema(pathFile: string, method: string, status: number): Schema {
  const file = resolve(OPENAPI_DIR, 'paths', pathFile);
  const operation = (parseYaml(readFileSync(file, 'utf8'))[method] ?? {}) as Schema;
  const raw = (operation.responses as Schema)[String(status)];
  const response = dereference(raw, dirname(file)) as Schema;
  const content = response.content as Record<string, { schema: Schema }>;
  return content['application/json']?.schema as Schema;
}

function expectMatches(body: unknown, schema: Schema, what: string): void {
  const validate = ajv.compile(everyFieldRequired(schema) as Schema);
  const valid = validate(body);
  expect(valid ? [] : ajv.errorsText(validate.errors, { separator: '\n' }).split('\n'), what).toEqual([]);
}

describe("Ricochet's answers have every field of Apify's response schemas, with Apify's types", () => {
  // About twenty HTTP calls and a delivery: more than the default budget on a loaded machine.
  test('every Apify webhook endpoint, live over HTTP', { timeout: 90_000 }, async ({ api, delivery }) => {
    const baseUrl = await api.listen();
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      token: string | null = api.admin.token,
    ) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(token && { authorization: `Bearer ${token}` }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    };
    const check = async (
      pathFile: string,
      method: string,
      status: number,
      response: Promise<{ status: number; body: unknown }>,
    ) => {
      const { status: actual, body } = await response;
      expect(actual, `${method} ${pathFile}`).toBe(status);
      expectMatches(
        body,
        responseSchema(pathFile, method, status),
        `${method.toUpperCase()} ${pathFile} ${status}`,
      );
      return body as { data: Record<string, unknown> & { items?: Array<Record<string, unknown>> } };
    };

    const receiver = await delivery.receiver(respond(200, 'ok'));
    const created = await check(
      'webhooks/webhooks.yaml',
      'post',
      201,
      call('POST', '/v2/webhooks', {
        eventTypes: ['ACTOR.RUN.SUCCEEDED'],
        requestUrl: receiver.url,
        condition: { actorId: 'hksJZtadYvn4mBuin', actorTaskId: 'asdLZtadYvn4mBZmm' },
        payloadTemplate: '{"run": {{resource.id}}}',
        description: 'contract',
      }),
    );
    const id = created.data.id as string;
    await check('webhooks/webhooks@{webhookId}.yaml', 'get', 200, call('GET', `/v2/webhooks/${id}`));
    await check(
      'webhooks/webhooks@{webhookId}.yaml',
      'put',
      200,
      call('PUT', `/v2/webhooks/${id}`, { description: 'contract, updated' }),
    );

    // A dispatch, delivered, so that lastDispatch, stats and calls are filled in.
    const tested = await check(
      'webhooks/webhooks@{webhookId}@test.yaml',
      'post',
      201,
      call('POST', `/v2/webhooks/${id}/test`),
    );
    await delivery.worker().runOnce();
    expect(receiver.received).toHaveLength(1);

    for (const [pathFile, path] of [
      ['webhooks/webhooks.yaml', '/v2/webhooks'],
      ['actors/acts@{actorId}@webhooks.yaml', '/v2/acts/hksJZtadYvn4mBuin/webhooks'],
      ['actor-tasks/actor-tasks@{actorTaskId}@webhooks.yaml', '/v2/actor-tasks/asdLZtadYvn4mBZmm/webhooks'],
    ] as const) {
      const list = await check(pathFile, 'get', 200, call('GET', path));
      expect(list.data.items?.[0]?.lastDispatch, path).toMatchObject({ status: 'SUCCEEDED' });
    }
    for (const [pathFile, path] of [
      ['webhooks/webhooks@{webhookId}@dispatches.yaml', `/v2/webhooks/${id}/dispatches`],
      ['webhook-dispatches/webhook-dispatches.yaml', '/v2/webhook-dispatches'],
    ] as const) {
      const list = await check(pathFile, 'get', 200, call('GET', path));
      expect(list.data.items?.[0]?.calls, path).toHaveLength(1);
    }
    await check(
      'webhook-dispatches/webhook-dispatches@{dispatchId}.yaml',
      'get',
      200,
      call('GET', `/v2/webhook-dispatches/${tested.data.id}`),
    );

    // Errors: Apify's ErrorResponse, with a type from Apify's ErrorType list.
    await check('webhooks/webhooks.yaml', 'post', 400, call('POST', '/v2/webhooks', { requestUrl: 'nope' }));
    await check('webhooks/webhooks.yaml', 'get', 401, call('GET', '/v2/webhooks', undefined, null));
    await check(
      'webhooks/webhooks@{webhookId}.yaml',
      'get',
      404,
      call('GET', '/v2/webhooks/XXXXXXXXXXXXXXXXX'),
    );
    await check('webhooks/webhooks.yaml', 'get', 405, call('PATCH', '/v2/webhooks', {}));

    const deleted = await call('DELETE', `/v2/webhooks/${id}`);
    expect(deleted.status).toBe(204);
  });
});

/** A value for a schema: its first example, or one built from its properties. */
function exampleOf(schema: Schema): Schema {
  if (Array.isArray(schema.examples)) return schema.examples[0] as Schema;
  const anyOf = schema.anyOf as Schema[] | undefined;
  if (anyOf) return exampleOf(anyOf.find((option) => option.type !== 'null') as Schema);
  if (schema.properties) {
    return Object.fromEntries(
      Object.entries(schema.properties as Record<string, Schema>).map(([name, inner]) => [
        name,
        exampleOf(inner),
      ]),
    );
  }
  return null as unknown as Schema;
}

function isNullable(schema: Schema): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return (
    types.includes('null') ||
    ((schema.anyOf as Schema[] | undefined) ?? []).some((option) => option.type === 'null')
  );
}

// Apify's template examples are cut short ("{{userId}}...") and so are not templates; these are.
const TEMPLATES: Record<string, string> = {
  payloadTemplate: '{"userId": {{userId}}}',
  headersTemplate: '{"Authorization": "Bearer x"}',
};

describe("request bodies Apify's WebhookCreate and WebhookUpdate accept are accepted, with their meaning", () => {
  test('WebhookCreate: every field with its example, then every nullable field null', async ({ api }) => {
    const schema = load('components/schemas/webhooks/WebhookCreate.yaml');
    const properties = schema.properties as Record<string, Schema>;
    const full: Schema = { ...exampleOf(schema), ...TEMPLATES };
    const created = await api.request('POST', '/v2/webhooks', { body: full });
    expect(created.statusCode, created.body).toBe(201);
    const { idempotencyKey: _key, ...shown } = full;
    expect(created.json().data).toMatchObject(shown);

    const nulls = Object.fromEntries(
      Object.entries(properties).map(([name, inner]) => [name, isNullable(inner) ? null : full[name]]),
    );
    const minimal = await api.request('POST', '/v2/webhooks', { body: { ...nulls, idempotencyKey: null } });
    expect(minimal.statusCode, minimal.body).toBe(201);
  });

  test('WebhookUpdate: each field null on its own, each field with its example', async ({ api }) => {
    const schema = load('components/schemas/webhooks/WebhookUpdate.yaml');
    const properties = schema.properties as Record<string, Schema>;
    const webhook = (
      await api.request('POST', '/v2/webhooks', {
        body: { eventTypes: ['ACTOR.RUN.SUCCEEDED'], requestUrl: 'https://example.com/a', condition: {} },
      })
    ).json().data;
    for (const [name, inner] of Object.entries(properties)) {
      expect(isNullable(inner), name).toBe(true);
      const asNull = await api.request('PUT', `/v2/webhooks/${webhook.id}`, { body: { [name]: null } });
      expect(asNull.statusCode, `${name}: null -> ${asNull.body}`).toBe(200);
      const example = TEMPLATES[name] ?? exampleOf(inner);
      const withExample = await api.request('PUT', `/v2/webhooks/${webhook.id}`, {
        body: { [name]: example },
      });
      expect(withExample.statusCode, `${name}: ${JSON.stringify(example)} -> ${withExample.body}`).toBe(200);
      expect(withExample.json().data[name]).toEqual(example);
    }
  });
});
