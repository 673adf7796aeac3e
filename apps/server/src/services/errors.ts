import { type ErrorType, installReadableZodErrors } from '@ricochet/schema';
import type { z } from 'zod';

// Every message zod writes in this process is the readable kind ("requestUrl: must not be empty",
// not "Too small: expected string to have >=1 characters"), whichever entry point loaded this.
installReadableZodErrors();

/**
 * The one error type of the domain. Services throw it; each transport turns it into its own shape
 * (REST: the `{error: {type, message}}` envelope with the status from ERROR_HTTP_STATUS; tRPC: the
 * matching code with `data.type`), so a failure reads the same whichever way it was asked.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly extra: { retryAfterSeconds?: number; allowedMethods?: string[] } = {},
  ) {
    super(message);
  }
}

export function recordNotFound(what: string, id: string): AppError {
  return new AppError('record-not-found', `${what} was not found (ID: ${id}).`);
}

/** Turns zod's issues into one message that names every bad field, e.g. `eventTypes: must list ...`. */
export function describeZodError(error: z.ZodError, where?: string): string {
  const problems = error.issues.map((issue) => {
    const path = [...(where ? [where] : []), ...issue.path.map(String)].join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return `Invalid input: ${problems.join('; ')}`;
}

export function invalidInput(error: z.ZodError, where?: string): AppError {
  return new AppError('invalid-input', describeZodError(error, where));
}

/** Parses with a schema and reports failures as 400 invalid-input naming the fields. */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where?: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error, where);
  return result.data;
}
