import { AppError } from './errors.ts';

/**
 * PostgreSQL's text and jsonb cannot hold U+0000, and a lone UTF-16 surrogate (JSON allows
 * `"\ud800"`) has no UTF-8 form: either reaches the database as an error, which used to be a 500.
 * Input is checked once at the transport's edge instead, so the caller hears which field is wrong.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding U+0000 is the point.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deeper than any real event or template; deeper input is refused before anything recurses on it. */
export const MAX_INPUT_DEPTH = 64;

/** Whether a parsed JSON value nests deeper than `max` levels (checked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop() as (typeof pending)[number];
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
}

export type InputProblem = { path: string; problem: string };

function describe(text: string): string {
  return text.includes('\u0000')
    ? 'contains a NUL character (U+0000), which cannot be stored'
    : 'contains a lone UTF-16 surrogate, which is not valid Unicode';
}

/** The first string (value or key) that cannot be stored, or a nesting deeper than MAX_INPUT_DEPTH. */
export function findInputProblem(value: unknown, root = ''): InputProblem | undefined {
  // Iterative, so a hostile nesting depth cannot overflow the stack here.
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop() as (typeof pending)[number];
    if (typeof current === 'string') {
      if (UNSTORABLE.test(current)) return { path, problem: describe(current) };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return { path, problem: `is nested deeper than ${MAX_INPUT_DEPTH} levels` };
    for (const [key, child] of Object.entries(current)) {
      const childPath = path ? `${path}.${key}` : key;
      if (UNSTORABLE.test(key)) return { path: path || '(body)', problem: `has a key that ${describe(key)}` };
      pending.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}

/** 400 invalid-input naming the field, when any string in the input cannot be stored. */
export function assertStorableInput(value: unknown, root = ''): void {
  const found = findInputProblem(value, root);
  if (found) {
    throw new AppError('invalid-input', `Invalid input: ${found.path || '(body)'}: ${found.problem}.`);
  }
}

/** An id that cannot be stored names no record: 404, as for any other unknown id. */
export function assertStorableIds(params: Record<string, unknown>): void {
  const found = findInputProblem(params);
  if (found)
    throw new AppError('record-not-found', `The record was not found (${found.path}: ${found.problem}).`);
}
