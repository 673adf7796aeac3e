import type { DispatchStatus, QueueState, WebhookCircuit, WebhookState } from '@ricochet/schema';
import { UnplugIcon } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { formatDateTime, formatRateLimit, formatTime } from '@/lib/format';
import { dispatchStatusLabel, WEBHOOK_STATE_LABELS } from '@/lib/labels';

/** What the dashboard needs of a dispatch (a log row or a whole dispatch) to say where it stands. */
type DispatchProgress = {
  status: DispatchStatus;
  attemptCount: number;
  queueState: QueueState | null;
  nextAttemptAt: string | null;
};

/** What a status badge knows of a dispatch: its attempts and queue state when the page has them. */
type DispatchStatusOf = Pick<DispatchStatusProgress, 'status'> & Partial<DispatchStatusProgress>;
type DispatchStatusProgress = Pick<DispatchProgress, 'status' | 'attemptCount' | 'queueState'>;

/**
 * A dispatch's status in words, as its badge says it. The attempt a worker is making counts from
 * its claim on, so an ACTIVE dispatch whose first attempt is running is still Pending, not Retrying.
 */
export function dispatchStatusText({ status, attemptCount, queueState }: DispatchStatusOf): string {
  const attemptsMade =
    attemptCount === undefined ? undefined : attemptCount - (queueState === 'LEASED' ? 1 : 0);
  return dispatchStatusLabel(status, attemptsMade);
}

/** Where an ACTIVE dispatch stands, in words: a sentence, and a few words for a narrow column. */
type QueueStateWords = { long: string; short: string };

/**
 * Where an ACTIVE dispatch stands in the delivery queue, in words (null once it has finished). A
 * SCHEDULED dispatch waits for a time: a retry's backoff after an attempt, otherwise the start slot
 * its webhook's rate limit gave it (the wire does not tell the two apart; a retry can also get a slot).
 */
export function queueStateWords(dispatch: DispatchProgress): QueueStateWords | null {
  if (dispatch.status !== 'ACTIVE' || dispatch.queueState === null) return null;
  const at = formatTime(dispatch.nextAttemptAt);
  // A phone's column holds about 14 characters: the time there goes without its zone.
  const shortAt = at.replace(/ UTC$/, '');
  switch (dispatch.queueState) {
    case 'READY':
      return { long: 'Waiting for a worker', short: 'Queued' };
    case 'SCHEDULED':
      return dispatch.attemptCount > 0
        ? { long: `Retrying at ${at}`, short: `Retry ${shortAt}` }
        : { long: `Rate-limit slot at ${at}`, short: `Slot ${shortAt}` };
    case 'LEASED':
      return {
        long: dispatch.attemptCount > 1 ? `Sending (attempt ${dispatch.attemptCount})` : 'Sending',
        short: 'Sending',
      };
    case 'HOST_WAIT':
      return { long: 'Waiting for the host (too many calls in flight)', short: 'Host busy' };
    case 'PACED':
      return { long: 'Waiting for a rate-limit slot', short: 'Rate-limited' };
    case 'HELD':
      return { long: 'Held: webhook paused or its circuit is open', short: 'Held' };
  }
}

/**
 * The queue state in words, for a line of its own (nothing once the dispatch has finished); with
 * `narrow`, the few words below the sm breakpoint (a phone's table column) and the sentence above.
 */
export function DispatchQueueState({
  dispatch,
  narrow,
  className,
}: {
  dispatch: DispatchProgress;
  narrow?: boolean;
  className?: string;
}) {
  const words = queueStateWords(dispatch);
  if (words === null) return null;
  const title =
    dispatch.queueState === 'SCHEDULED'
      ? `${words.long} (${formatDateTime(dispatch.nextAttemptAt)})`
      : words.long;
  return (
    <span className={className} data-queue-state={dispatch.queueState} title={title}>
      {narrow && words.short !== words.long ? (
        <>
          <span className="sm:hidden">{words.short}</span>
          <span className="hidden sm:inline">{words.long}</span>
        </>
      ) : (
        words.long
      )}
    </span>
  );
}

/** A dispatch's status: Pending (no attempt yet) or Retrying while ACTIVE, then Succeeded or Failed. */
export function DispatchStatusBadge(dispatch: DispatchStatusOf) {
  const { status } = dispatch;
  const variant = status === 'SUCCEEDED' ? 'success' : status === 'FAILED' ? 'destructive' : 'warning';
  return (
    <Badge variant={variant} data-status={status}>
      {dispatchStatusText(dispatch)}
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

/**
 * Beside the state of an ACTIVE webhook whose circuit is open: its deliveries wait for a probe.
 * Nothing otherwise (a webhook that is not ACTIVE waits anyway, and resuming it closes the circuit).
 */
export function CircuitBadge({
  state,
  circuit,
  compact,
}: {
  state: WebhookState;
  circuit: WebhookCircuit;
  /** Only the icon below the sm breakpoint (the words stay for screen readers). */
  compact?: boolean;
}) {
  if (state !== 'ACTIVE' || circuit.state !== 'OPEN') return null;
  return (
    <Badge
      variant="warning"
      data-circuit="OPEN"
      title={`Circuit open: deliveries paused, next probe ${formatDateTime(circuit.nextProbeAt)}`}
    >
      <UnplugIcon aria-hidden="true" className="size-3" />
      <span className={compact ? 'sr-only sm:not-sr-only' : undefined}>Circuit open</span>
    </Badge>
  );
}

/** A webhook's rate limit, when it has one. */
export function RateLimitBadge({ perSecond }: { perSecond: number | null }) {
  if (perSecond === null) return null;
  return (
    <Badge
      variant="outline"
      data-rate-limit={perSecond}
      title={`Rate limit: at most ${perSecond.toLocaleString('en-US')} call${perSecond === 1 ? '' : 's'} start per second`}
    >
      {formatRateLimit(perSecond)}
    </Badge>
  );
}
