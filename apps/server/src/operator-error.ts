/**
 * A mistake an operator can fix (a port in use, a database another process holds, an unknown
 * user): printed as one clear line, never as a stack trace.
 */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

/**
 * What to print when a command fails: the message alone for a mistake the operator can fix
 * (configuration, port, database in use or unreachable, an unknown user), the stack for a bug.
 */
export function startupFailureMessage(error: unknown, prefix: string): string {
  if (!(error instanceof Error)) return `${prefix}: ${String(error)}`;
  const code = String((error as { code?: unknown }).code ?? '');
  if (
    error instanceof OperatorError ||
    error.name === 'ConfigError' ||
    error.name === 'AppError' ||
    code.startsWith('ERR_PARSE_ARGS_')
  ) {
    return error.message;
  }
  const database = databaseProblem(error);
  if (database) return `${prefix}: ${database}`;
  return `${prefix}: ${error.stack ?? error.message}`;
}

/** A database that cannot be reached or entered, in one line. */
function databaseProblem(error: Error): string | undefined {
  const text = `${error.message} ${String((error as { code?: unknown }).code ?? '')}`;
  if (/ECONNREFUSED|Can't reach database server|P1001/.test(text))
    return 'the database server cannot be reached (is DATABASE_URL right, and is PostgreSQL running?).';
  if (/ENOTFOUND|EAI_AGAIN/.test(text))
    return "the database server's host name does not resolve (check DATABASE_URL).";
  if (/password authentication failed|no pg_hba\.conf entry|P1000/.test(text))
    return 'the database refused the credentials in DATABASE_URL.';
  if (/database "[^"]*" does not exist|P1003/.test(text))
    return 'the database named in DATABASE_URL does not exist (create it first).';
  return undefined;
}
