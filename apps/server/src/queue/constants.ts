/**
 * Workers LISTEN on this channel; whatever makes a dispatch claimable NOTIFYs it in the same
 * statement, so the wake-up arrives exactly when the row becomes visible (PostgreSQL delivers
 * NOTIFY on commit).
 */
export const DISPATCH_CHANNEL = 'ricochet_dispatches';

/**
 * The error of a call whose worker stopped before it finished (its lease lapsed): neither its
 * answer nor the request it sent was recorded.
 */
export const INTERRUPTED = 'Interrupted: the worker delivering this attempt stopped before it finished.';

/**
 * SQL: the call aliased `c` sent a request, or tried to (it was built: not a template that failed
 * to render, nor an interrupted call). A compactly stored call (outbound/stored-request.ts) has a
 * requestTimestamp and no body when its body is the default payload; a fully stored one has its
 * body. What circuits count as "no response" are such calls without a status.
 */
export const callSentRequest = (c: string) =>
  `(${c}."requestTimestamp" IS NOT NULL OR ${c}."requestBody" IS NOT NULL)`;

/**
 * A dispatch's calls all started after it was created (its createdAt is the database's clock at
 * publish; a call's startedAt the worker's): reading them with `startedAt >= earliestCallStart(...)`
 * prunes the weekly partitions before the dispatch's week, instead of probing every week's primary
 * key for its id. A day of slack, so a worker whose clock runs behind the database's still finds
 * its calls.
 */
export const CALL_CLOCK_SLACK_MS = 86_400_000;
export function earliestCallStart(dispatchCreatedAt: Date): Date {
  return new Date(dispatchCreatedAt.getTime() - CALL_CLOCK_SLACK_MS);
}
/** SQL: earliestCallStart of a timestamp expression. */
export const earliestCallStartSql = (createdAt: string) => `(${createdAt} - interval '1 day')`;

/** Mailers LISTEN on this channel; queueing an alert e-mail NOTIFYs it (src/mail). */
export const ALERT_EMAIL_CHANNEL = 'ricochet_alert_emails';
