import { CIRCUIT_CALLS_COUNTED, type WebhookCircuit } from '@ricochet/schema';
import { UnplugIcon } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { formatTime } from '@/lib/format';

function callsInARow(count: number | null): string {
  if (count === null) return 'The latest calls in a row';
  if (count >= CIRCUIT_CALLS_COUNTED)
    return `At least ${CIRCUIT_CALLS_COUNTED.toLocaleString('en-US')} calls in a row`;
  return `${count.toLocaleString('en-US')} call${count === 1 ? '' : 's'} in a row`;
}

/**
 * An open circuit, said plainly: since when deliveries wait, why (calls that got no response at
 * all, not error answers), when the next probe goes and what closes it.
 */
export function CircuitNotice({ circuit }: { circuit: WebhookCircuit }) {
  return (
    <Alert variant="warning" data-testid="circuit-notice">
      <AlertTitle className="flex items-center gap-2">
        <UnplugIcon aria-hidden="true" className="size-4 shrink-0" />
        Circuit open: deliveries paused
      </AlertTitle>
      <AlertDescription className="grid gap-1">
        <p>
          Deliveries paused since {formatTime(circuit.openedAt)}: {callsInARow(circuit.callsWithoutResponse)}{' '}
          got no response. Next probe at {formatTime(circuit.nextProbeAt)}.
          {circuit.lastError && (
            <>
              {' '}
              Last error: <span className="break-words font-mono text-xs">{circuit.lastError}</span>
            </>
          )}
        </p>
        <p>
          The probe is one waiting dispatch; any answer to it, even an error status, closes the circuit and
          the others go out. Changing the URL, or pausing and resuming the webhook, closes it at once.
        </p>
      </AlertDescription>
    </Alert>
  );
}
