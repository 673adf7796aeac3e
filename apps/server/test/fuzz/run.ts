// Property-based fuzzing of a real Ricochet process: every REST operation in its /openapi.json,
// SuperOffice's endpoint and every tRPC procedure of the router, with random and hostile ids,
// query strings, bodies, Content-Types, Content-Encodings and tokens. After every request: the
// process is alive, nothing answered 5xx, every error is the envelope with a type (and, on REST,
// the status) of the schema's table, and a refused request wrote nothing.
// Here: sending one request, checking its answer, and the property over many (fuzz).
import { request as httpRequest } from 'node:http';
import { ERROR_HTTP_STATUS, ERROR_TYPES, type ErrorType } from '@ricochet/schema';
import fc from 'fast-check';
import { requestArbitrary } from './arbitraries.ts';
import { type Answer, BODY_LIMIT_BYTES, type FuzzRequest } from './requests.ts';
import type { FuzzServer } from './server.ts';

const REQUEST_BUDGET_MS = 60_000;

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
