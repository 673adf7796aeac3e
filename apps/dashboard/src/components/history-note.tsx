'use client';

import { useQuery } from '@tanstack/react-query';
import { formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

/**
 * How far back the user's history goes (retention). Shown below a list, so its arrival moves
 * nothing on screen.
 */
export function HistoryNote() {
  const trpc = useTRPC();
  const history = useQuery(trpc.insights.history.queryOptions());
  if (!history.data) return null;
  return (
    <p className="mt-3 text-xs text-muted-foreground" data-testid="history-note">
      History goes back {history.data.retentionDays} days, to {formatDateTime(history.data.historyStartsAt)}:
      older events, finished dispatches and their calls have been removed. Dispatches still being delivered
      are kept until they finish.
    </p>
  );
}
