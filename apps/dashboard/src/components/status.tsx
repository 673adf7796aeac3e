import type { DispatchStatus, WebhookState } from '@ricochet/schema';
import { Badge } from '@/components/ui/badge';

const DISPATCH_LABEL: Record<DispatchStatus, string> = {
  ACTIVE: 'Active',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
};

export function DispatchStatusBadge({ status, retrying }: { status: DispatchStatus; retrying?: boolean }) {
  const variant = status === 'SUCCEEDED' ? 'success' : status === 'FAILED' ? 'destructive' : 'warning';
  return (
    <Badge variant={variant} data-status={status}>
      {status === 'ACTIVE' && retrying ? 'Retrying' : DISPATCH_LABEL[status]}
    </Badge>
  );
}

const STATE_LABEL: Record<WebhookState, string> = {
  ACTIVE: 'Active',
  STOPPED: 'Paused',
  TOO_MANY_ERRORS: 'Too many errors',
};

export function WebhookStateBadge({ state }: { state: WebhookState }) {
  const variant = state === 'ACTIVE' ? 'success' : state === 'STOPPED' ? 'secondary' : 'destructive';
  return (
    <Badge variant={variant} data-state={state}>
      {STATE_LABEL[state]}
    </Badge>
  );
}
