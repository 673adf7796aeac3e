import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Config } from '../../config.ts';
import type { HttpSender } from '../../delivery/http-sender.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { AppError, parseOrThrow } from '../../services/errors.ts';
import { assertStorableIds, assertStorableInput } from '../../services/storable-input.ts';
import type { Principal } from '../../services/tokens.ts';
import { type Access, authorize } from '../auth.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * An answer too large to build in memory, as the JSON text of the whole body (`{data}` included)
 * in pieces: sent as they are produced, at the pace the client reads them.
 */
export class StreamedJson {
  constructor(readonly pieces: AsyncIterable<string>) {}
}

/** What handlers may use besides the request: the database and the outbound sender. */
export type RouteServices = { prisma: PrismaClient; sender: HttpSender; config: Config };

export type RouteContext<Params, Query, Body> = {
  prisma: PrismaClient;
  services: RouteServices;
  principal: Principal;
  params: Params;
  query: Query;
  body: Body;
  request: FastifyRequest;
  reply: FastifyReply;
};

/**
 * One REST endpoint: its path, what it needs, its input and output schemas (the same zod schemas
 * tRPC and the SDK use), and a handler that unpacks the request and calls one service function.
 * The table of these drives both the Fastify routes and the OpenAPI document.
 */
export type RouteDefinition<
  Params extends z.ZodType = z.ZodType,
  Query extends z.ZodType = z.ZodType,
  Body extends z.ZodType = z.ZodType,
> = {
  method: HttpMethod;
  path: string;
  summary: string;
  tags: string[];
  access: Access;
  params?: Params;
  query?: Query;
  body?: Body;
  /**
   * Status of success, and the schema of `data` in `{data}`; null schema: no body (204).
   * envelope false: the payload is the whole body (SuperOffice's API has no `{data}` wrapper).
   */
  success: { status: number; data: z.ZodType | null; description?: string; envelope?: boolean };
  handler: (context: RouteContext<z.output<Params>, z.output<Query>, z.output<Body>>) => Promise<unknown>;
};

export function defineRoute<Params extends z.ZodType, Query extends z.ZodType, Body extends z.ZodType>(
  route: RouteDefinition<Params, Query, Body>,
): RouteDefinition {
  return route as unknown as RouteDefinition;
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/**
 * Registers the routes, and answers every other method on their paths with 405 and the methods
 * that are allowed (Apify's message), and OPTIONS with an Allow header.
 */
export function registerRoutes(
  app: FastifyInstance,
  services: RouteServices,
  routes: RouteDefinition[],
): void {
  const { prisma } = services;
  const methodsByPath = new Map<string, Set<string>>();
  for (const route of routes) {
    const methods = methodsByPath.get(route.path) ?? new Set<string>(['OPTIONS']);
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
    methodsByPath.set(route.path, methods);

    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const principal = authorize(request.principal, route.access) as Principal;
        assertStorableIds(request.params as Record<string, unknown>);
        assertStorableInput(request.query);
        assertStorableInput(request.body);
        const params = route.params ? parseOrThrow(route.params, request.params) : {};
        const query = route.query ? parseOrThrow(route.query, request.query ?? {}) : {};
        // Apify clients send no body on some POSTs (e.g. test): treat that as an empty object.
        const body = route.body ? parseOrThrow(route.body, request.body ?? {}) : undefined;
        const data = await route.handler({
          prisma,
          services,
          principal,
          params,
          query,
          body,
          request,
          reply,
        });
        reply.code(route.success.status);
        if (route.success.data === null) return reply.send();
        if (data instanceof StreamedJson) {
          return reply
            .type('application/json; charset=utf-8')
            .send(Readable.from(data.pieces, { objectMode: false }));
        }
        return reply.send(route.success.envelope === false ? data : { data });
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
