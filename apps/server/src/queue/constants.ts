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
