import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { restRoutes } from '../../src/api/index.ts';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';

// Issue 18 moves the API into one file per operation with no change of behaviour. The document
// below was written before the move (openapi-snapshot/write-snapshot.ts): every operation, its
// parameters, bodies and answers, and every schema it names must still be there as they were.
// What a client sends (parameters, request bodies and the schemas they name) must be exactly the
// same: a new key there can be a new constraint (maxLength, additionalProperties: false) that
// refuses what was accepted. What the API answers may gain (new operations, new schemas, new keys
// in an object, by toMatchObject's subset rule; arrays, such as enums, stay as they were).
// Features after the move add fields: a schema may gain properties, optional ones only where
// clients send it (a client that omits them is answered as before), and an answer's new
// properties may be required (a client that does not know them ignores them).
type ObjectSchema = { properties?: Record<string, unknown>; required?: string[] };

/** `schema` without the properties `earlier` did not have (and their names in `required`). */
function asItWas(schema: unknown, earlier: unknown): unknown {
  const current = schema as ObjectSchema;
  const was = earlier as ObjectSchema;
  if (!current?.properties || !was?.properties) return schema;
  const added = Object.keys(current.properties).filter((key) => !(key in (was.properties ?? {})));
  return {
    ...current,
    properties: Object.fromEntries(
      Object.entries(current.properties).filter(([key]) => !added.includes(key)),
    ),
    ...(current.required && { required: current.required.filter((key) => !added.includes(key)) }),
  };
}

/** The properties `schema` has that `earlier` did not, and that a client must send. */
function addedRequired(schema: unknown, earlier: unknown): string[] {
  const current = schema as ObjectSchema;
  const was = earlier as ObjectSchema;
  return (current?.required ?? []).filter((key) => !(key in (was?.properties ?? {})));
}
type OpenApi = {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  security?: unknown;
};
const before = JSON.parse(
  readFileSync(new URL('openapi-snapshot/before-issue-18.json', import.meta.url), 'utf8'),
) as OpenApi;
const now = buildOpenApiDocument(restRoutes, { version: 'snapshot' }) as unknown as OpenApi;

describe("the REST API keeps what it had before issue 18's move (additions only)", () => {
  test('every operation: path, method, parameters, request body and answers', () => {
    const operations = Object.entries(before.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThan(30);
    for (const { path, method, operation } of operations) {
      const current = now.paths[path]?.[method] as Record<string, unknown> | undefined;
      const name = `${method.toUpperCase()} ${path}`;
      expect(current, `${name} is gone`).toBeDefined();
      expect(current, name).toMatchObject(operation as object);
      const { parameters, requestBody } = operation as Record<string, unknown>;
      expect(current?.parameters, `${name}: parameters`).toEqual(parameters);
      expect(current?.requestBody, `${name}: request body`).toEqual(requestBody);
    }
  });

  test('every schema the operations name, and how requests authenticate', () => {
    expect(Object.keys(before.components.schemas).length).toBeGreaterThan(40);
    // Schemas a request body names are what clients send: exactly the same.
    const sent = new Set(
      Object.values(before.paths).flatMap((methods) =>
        Object.values(methods).flatMap(
          (operation) =>
            JSON.stringify((operation as { requestBody?: unknown }).requestBody ?? null).match(
              /(?<=#\/components\/schemas\/)[A-Za-z0-9.]+/g,
            ) ?? [],
        ),
      ),
    );
    expect(sent.size).toBeGreaterThan(5);
    for (const [name, schema] of Object.entries(before.components.schemas)) {
      expect(now.components.schemas[name], `schema ${name} is gone`).toBeDefined();
      const current = now.components.schemas[name];
      if (sent.has(name)) {
        expect(asItWas(current, schema), `schema ${name}`).toEqual(schema);
        expect(addedRequired(current, schema), `schema ${name}: new required fields`).toEqual([]);
      } else expect(asItWas(current, schema), `schema ${name}`).toMatchObject(schema as object);
    }
    expect(now.components.securitySchemes).toMatchObject(before.components.securitySchemes ?? {});
    expect(now.security).toEqual(before.security);
  });
});
