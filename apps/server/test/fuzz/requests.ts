// What the fuzzer sends and gets: a target of the API, one request to it, its answer.

/** The largest body the fuzzed server accepts (its BODY_LIMIT_BYTES). */
export const BODY_LIMIT_BYTES = 65_536;

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

export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };
