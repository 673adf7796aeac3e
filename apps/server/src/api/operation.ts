import type { Capability } from '@ricochet/schema';
import type { z } from 'zod';
import type { Config } from '../config.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Access } from '../http/auth.ts';
import type { HttpExchange } from '../http/session-cookie.ts';
import type { HttpSender } from '../outbound/http-sender.ts';
import type { Principal } from '../services/tokens.ts';

export type { Access } from '../http/auth.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * What an operation runs with, under either transport: the database, the outbound sender, the
 * settings and who is asking (settled by `access` before the operation runs, so only a public
 * operation can see no one).
 */
export type OperationContext<A extends Access = Access> = {
  prisma: PrismaClient;
  sender: HttpSender;
  config: Config;
  principal: A extends 'public' ? Principal | null : Principal;
  /** The HTTP exchange (cookies, CSRF header) of a tRPC call; absent on REST and in direct calls. */
  http?: HttpExchange;
  /** The caller's W3C traceparent header: a publish continues the caller's trace (tracing on). */
  traceparent?: string;
};

/**
 * An answer too large to build in memory, as the JSON text of the whole body (`{data}` included)
 * in pieces: sent as they are produced, at the pace the client reads them.
 */
export class StreamedJson {
  constructor(readonly pieces: AsyncIterable<string>) {}
}

/** A REST request's parts once validated by the route's own schemas. */
export type RestParts<Params, Query, Body> = { params: Params; query: Query; body: Body };

/**
 * How one REST endpoint reaches an operation: its path, the schemas of its path, query and body
 * (what OpenAPI documents and REST validates), and how those parts make the operation's input.
 */
export type RestRoute<Input = unknown, Output = unknown, A extends Access = Access> = {
  method: HttpMethod;
  path: string;
  /** OpenAPI's summary; the operation's when absent. */
  summary?: string;
  tags: string[];
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Status of success; 204 answers no body. */
  status: number;
  description?: string;
  /** false: the output is the whole body (SuperOffice's API has no `{data}` wrapper). */
  envelope?: false;
  /** The operation's input from the validated parts. */
  input: (parts: RestParts<unknown, unknown, unknown>) => Input;
  /** Where the created record lives: answered in `Location` (absolute, as the client reached us). */
  location?: (output: Output) => string;
  /**
   * What REST answers instead of the operation's output, when REST's form differs (a stream).
   * Given the operation's input; the OpenAPI entry still documents the output schema.
   */
  answer?: (context: OperationContext<A>, input: Input) => Promise<StreamedJson>;
};

/** Builds a RestRoute whose part schemas type the `input` mapping (see Operation.rest). */
export type RestRouteBuilder<Input, Output, A extends Access> = <
  Params extends z.ZodType = z.ZodUndefined,
  Query extends z.ZodType = z.ZodUndefined,
  Body extends z.ZodType = z.ZodUndefined,
>(
  route: Omit<RestRoute<Input, Output, A>, 'params' | 'query' | 'body' | 'input'> & {
    params?: Params;
    query?: Query;
    body?: Body;
    input: (parts: RestParts<z.output<Params>, z.output<Query>, z.output<Body>>) => Input;
  },
) => RestRoute<Input, Output, A>;

/** A tRPC procedure's kind; an operation with none is REST only. */
export type ProcedureKind = 'query' | 'mutation';

type InputOf<Input> = Input extends z.ZodType ? z.output<Input> : undefined;

/** What an operation's file declares (see Operation), its REST routes still to be built. */
type OperationDefinition<
  Input extends z.ZodType | undefined,
  Output extends z.ZodType,
  A extends Access,
  Kind extends ProcedureKind | undefined,
> = {
  summary: string;
  access: A;
  /** What a portal session must also be granted (API tokens have every capability). */
  capability?: Capability;
  /** The tRPC procedure's kind; absent: REST only. */
  procedure: Kind;
  input?: Input;
  output: Output;
  /** Checks of the exchange before the input is read (sign-in's CSRF defences), tRPC only. */
  guard?: (http: HttpExchange | undefined) => void;
  run: (context: OperationContext<A>, input: InputOf<Input>) => Promise<z.input<Output>> | z.input<Output>;
  rest?: (
    route: RestRouteBuilder<InputOf<Input>, z.output<Output>, A>,
  ) => RestRoute<InputOf<Input>, z.output<Output>, A>[];
};

/**
 * One action of the API, in one file: who may call it, its input and output (the zod schemas of
 * packages/schema), the service call, and how each transport reaches it. The tRPC procedure, the
 * REST routes and their OpenAPI entries are all derived from this (api/trpc.ts, api/rest.ts,
 * api/openapi.ts), so the two transports cannot drift apart.
 */
export type Operation<
  Input extends z.ZodType | undefined = z.ZodType | undefined,
  Output extends z.ZodType = z.ZodType,
  A extends Access = Access,
  Kind extends ProcedureKind | undefined = ProcedureKind | undefined,
> = Omit<OperationDefinition<Input, Output, A, Kind>, 'rest'> & {
  rest: RestRoute[];
  /** When this operation was defined: its place in its resource (see definitionOrder). */
  defined: number;
};

let definitions = 0;

/**
 * Defines an operation. `rest` is given a builder typed by the operation's input and output, so
 * each route's `input` mapping is checked against both its own part schemas and the operation.
 */
export function defineOperation<
  Output extends z.ZodType,
  A extends Access,
  Kind extends ProcedureKind | undefined,
  Input extends z.ZodType | undefined = undefined,
>(operation: OperationDefinition<Input, Output, A, Kind>): Operation<Input, Output, A, Kind> {
  const route: RestRouteBuilder<InputOf<Input>, z.output<Output>, A> = (definition) =>
    definition as unknown as RestRoute<InputOf<Input>, z.output<Output>, A>;
  return {
    ...operation,
    rest: (operation.rest?.(route) ?? []) as unknown as RestRoute[],
    defined: definitions++,
  };
}

/**
 * A resource's operations in the order its index.ts lists them. ES modules run in the order they
 * are imported, so each operation is defined in its index's order; a module namespace object
 * itself lists its exports alphabetically. The order is the REST routes' and so OpenAPI's, where
 * it decides which of a schema's two JSON forms (input, output) keeps the plain name: new
 * operations go at the end of their index so the names already published stay.
 */
export function definitionOrder<T extends { defined: number }>(operations: Record<string, T>): T[] {
  return Object.values(operations).sort((a, b) => a.defined - b.defined);
}

/** Any operation, as the transports see them. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds operations of every input and output.
export type AnyOperation = Operation<any, any, Access, ProcedureKind | undefined>;

/**
 * The capability a caller needs for an operation, on both transports: its own, and `admin` for an
 * administrators' operation (a session must be granted it; an admin's API token has it).
 */
export function requiredCapability(operation: AnyOperation): Capability | undefined {
  return operation.capability ?? (operation.access === 'admin' ? 'admin' : undefined);
}
