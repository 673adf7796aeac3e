import type { DispatchStatus, WebhookState } from '@ricochet/schema';
import { Badge } from '@/components/ui/badge';
import { dispatchStatusLabel, WEBHOOK_STATE_LABELS } from '@/lib/labels';

/** A dispatch's status: Pending (no attempt yet) or Retrying while ACTIVE, then Succeeded or Failed. */
export function DispatchStatusBadge({
  status,
  attemptCount,
}: {
  status: DispatchStatus;
  attemptCount?: number;
}) {
  const variant = status === 'SUCCEEDED' ? 'success' : status === 'FAILED' ? 'destructive' : 'warning';
  return (
    <Badge variant={variant} data-status={status}>
      {dispatchStatusLabel(status, attemptCount)}
    </Badge>
  );
}

export function WebhookStateBadge({ state }: { state: WebhookState }) {
  const variant = state === 'ACTIVE' ? 'success' : state === 'STOPPED' ? 'secondary' : 'destructive';
  return (
    <Badge variant={variant} data-state={state}>
      {WEBHOOK_STATE_LABELS[state]}
    </Badge>
  );
}
