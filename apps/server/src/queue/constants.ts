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
