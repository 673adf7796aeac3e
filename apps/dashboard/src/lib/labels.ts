import type { DispatchStatus, WebhookState } from '@ricochet/schema';

// The one place where states get their names: badges, filters and charts all read these, so a
// word means one thing on every page ("Enabled" is a webhook's, "Pending"/"Retrying" a dispatch's).

/** What a status filter's options say: ACTIVE covers both badges it can show. */
export const DISPATCH_STATUS_FILTER_LABELS: Record<DispatchStatus, string> = {
  ACTIVE: 'Pending or retrying',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
};

/**
 * A dispatch still being delivered is Pending (no attempt yet) or Retrying (failed attempts, another
 * scheduled); without its attempt count, both.
 */
export function dispatchStatusLabel(status: DispatchStatus, attemptCount?: number): string {
  if (status === 'ACTIVE' && attemptCount !== undefined) return attemptCount > 0 ? 'Retrying' : 'Pending';
  return DISPATCH_STATUS_FILTER_LABELS[status];
}

export const WEBHOOK_STATE_LABELS: Record<WebhookState, string> = {
  ACTIVE: 'Enabled',
  STOPPED: 'Paused',
  TOO_MANY_ERRORS: 'Too many errors',
};

/** A user account, as the admin's users page shows it. */
export function userStateLabel(disabled: boolean): string {
  return disabled ? 'Disabled' : 'Enabled';
}
