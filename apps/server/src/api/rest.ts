import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { authorize } from '../http/auth.ts';
import type {} from '../http/fastify-decorations.ts';
import { publicUrl } from '../http/public-url.ts';
import { AppError, parseOrThrow } from '../services/errors.ts';
import { assertStorableIds, assertStorableInput } from '../services/storable-input.ts';
import type { Principal } from '../services/tokens.ts';
import {
  type AnyOperation,
  type OperationContext,
  type RestRoute,
  requiredCapability,
  StreamedJson,
} from './operation.ts';

/** What REST handlers use besides the request: the database, the outbound sender, the settings. */
export type RestServices = Omit<OperationContext, 'principal' | 'http'>;

/** A REST route with the operation it reaches: what the server registers and OpenAPI documents. */
export type BoundRoute = { operation: AnyOperation; route: RestRoute };

/** Every REST route of these operations, in their order. */
export function restRoutesOf(operations: AnyOperation[]): BoundRoute[] {
  return operations.flatMap((operation) => operation.rest.map((route) => ({ operation, route })));
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/**
 * Registers the routes, and answers every other method on their paths with 405 and the methods
 * that are allowed (Apify's message), and OPTIONS with an Allow header.
 */
export function registerRoutes(app: FastifyInstance, services: RestServices, routes: BoundRoute[]): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const { operation, route } of routes) {
    const methods = methodsByPath.get(route.path) ?? new Set<string>(['OPTIONS']);
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
    methodsByPath.set(route.path, methods);
    const capability = requiredCapability(operation);

    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const principal = authorize(request.principal, operation.access, capability) as Principal;
        assertStorableIds(request.params as Record<string, unknown>);
        assertStorableInput(request.query);
        assertStorableInput(request.body);
        const params = route.params ? parseOrThrow(route.params, request.params) : undefined;
        const query = route.query ? parseOrThrow(route.query, request.query ?? {}) : undefined;
        // Apify clients send no body on some POSTs (e.g. test): treat that as an empty object.
        const body = route.body ? parseOrThrow(route.body, request.body ?? {}) : undefined;
        const traceparent = request.headers.traceparent;
        const context: OperationContext = {
          ...services,
          principal,
          ...(typeof traceparent === 'string' && { traceparent }),
        };
        const input = route.input({ params, query, body });
        const data = route.answer ? await route.answer(context, input) : await operation.run(context, input);
        if (route.location) reply.header('location', publicUrl(request, route.location(data)));
        reply.code(route.status);
        if (route.status === 204) return reply.send();
        if (data instanceof StreamedJson) {
          return reply
            .type('application/json; charset=utf-8')
            .send(Readable.from(data.pieces, { objectMode: false }));
        }
        return reply.send(route.envelope === false ? data : { data });
      },
    });
  }

  for (const [path, methods] of methodsByPath) {
    const allowed = [
      'OPTIONS',
      ...[...methods].filter((method) => method !== 'OPTIONS' && method !== 'HEAD'),
    ];
    const allowHeader = allowed.join(',');
    app.route({
      method: 'OPTIONS',
      url: path,
      config: { rateLimit: false },
      handler: async (_request, reply) => reply.code(204).header('allow', allowHeader).send(),
    });
    const others = ALL_METHODS.filter((method) => !methods.has(method));
    if (others.length === 0) continue;
    app.route({
      method: [...others],
      url: path,
      handler: async () => {
        throw new AppError(
          'method-not-allowed',
          `This API end-point can only be accessed using the following HTTP methods: ${allowHeader}`,
          { allowedMethods: allowed },
        );
      },
    });
  }
}
