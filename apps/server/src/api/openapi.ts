import { dataOf, ErrorEnvelopeSchema, SuperOfficeErrorSchema } from '@ricochet/schema';
import { z } from 'zod';
import type { BoundRoute } from './rest.ts';

type JsonSchema = Record<string, unknown>;

/**
 * Builds the OpenAPI 3.1 document from the operations' REST routes and their zod schemas, so the document
 * cannot disagree with what the server validates and returns. Named schemas (`.meta({id})`) become
 * components; when a schema reads differently as input (defaults, transforms) than as output, the
 * input form is kept under `<id>Input`.
 */
export function buildOpenApiDocument(routes: BoundRoute[], info: { version: string }) {
  const components: Record<string, JsonSchema> = {};

  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const converted = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
    }) as JsonSchema;
    const defs = (converted.$defs ?? {}) as Record<string, JsonSchema>;
    const renames = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) {
      const existing = components[id];
      const name = existing && JSON.stringify(existing) !== JSON.stringify(def) ? `${id}Input` : id;
      renames.set(id, name);
    }
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value && typeof value === 'object') {
        const entries = Object.entries(value as JsonSchema).map(([key, inner]) => {
          if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
            const id = inner.slice('#/$defs/'.length);
            return [key, `#/components/schemas/${renames.get(id) ?? id}`];
          }
          return [key, rewrite(inner)];
        });
        return Object.fromEntries(entries);
      }
      return value;
    };
    for (const [id, def] of Object.entries(defs))
      components[renames.get(id) ?? id] = rewrite(def) as JsonSchema;
    const { $defs: _defs, $schema: _schema, ...rest } = converted;
    return rewrite(rest) as JsonSchema;
  };

  const parametersOf = (schema: z.ZodType | undefined, location: 'path' | 'query') => {
    if (!schema) return [];
    const json = toSchema(schema, 'input');
    const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required ?? []) as string[]);
    return Object.entries(properties).map(([name, property]) => ({
      name,
      in: location,
      required: location === 'path' || required.has(name),
      schema: property,
    }));
  };

  const errorResponseIn = (schemaId: string) => (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaId}` } } },
  });
  toSchema(ErrorEnvelopeSchema, 'output');
  toSchema(SuperOfficeErrorSchema, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const { operation, route } of routes) {
    const openApiPath = route.path.replace(/:(\w+)/g, '{$1}');
    // SuperOffice's paths answer errors in SuperOffice's shape (see http/errors.ts).
    const errorResponse = errorResponseIn(
      route.path.startsWith('/api/') ? 'SuperOfficeError' : 'ErrorEnvelope',
    );
    const responses: Record<string, unknown> = {
      [route.status]:
        route.status !== 204
          ? {
              description: route.description ?? 'Success',
              content: {
                'application/json': {
                  schema: toSchema(
                    route.envelope === false ? operation.output : dataOf(operation.output),
                    'output',
                  ),
                },
              },
            }
          : { description: route.description ?? 'Success, no content' },
      400: errorResponse('invalid-input: the message names the field'),
      ...(operation.access !== 'public' && {
        401: errorResponse('token-not-valid'),
        403: errorResponse('permission-denied'),
      }),
      ...(route.path.includes(':') && { 404: errorResponse('record-not-found') }),
      405: errorResponse('method-not-allowed'),
      ...(route.body && {
        413: errorResponse('request-too-large'),
        415: errorResponse('unsupported-content-encoding'),
      }),
      429: errorResponse('rate-limit-exceeded (see Retry-After)'),
    };
    paths[openApiPath] ??= {};
    (paths[openApiPath] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary ?? operation.summary,
      tags: route.tags,
      operationId: `${route.method.toLowerCase()}${openApiPath.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(operation.access === 'public' ? { security: [] } : {}),
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: toSchema(route.body, 'input') } },
        },
      }),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Ricochet API',
      version: info.version,
      description:
        "Ricochet's REST API. Compatible with Apify's webhook API (v2); every success is `{data: ...}`, " +
        'every error `{error: {type, message}}`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }, { tokenQuery: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        tokenQuery: { type: 'apiKey', in: 'query', name: 'token' },
      },
    },
  };
}
