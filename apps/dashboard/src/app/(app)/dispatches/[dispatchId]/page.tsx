'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RotateCcwIcon, TimerResetIcon } from 'lucide-react';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { useState } from 'react';
import { toast } from 'sonner';
import { CodeBlock } from '@/components/code-block';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { DispatchQueueState, DispatchStatusBadge } from '@/components/status';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { DispatchCalls } from './dispatch-calls';

function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <CodeBlock label={label} className="h-40">
      {JSON.stringify(value, null, 2)}
    </CodeBlock>
  );
}

type Detail = {
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  calls: Array<{ attempt: number }>;
};

/** Failed at least once and scheduled to try again later. */
function waitingOnBackoff(data: Detail | undefined): boolean {
  return (
    data !== undefined &&
    data.status === 'ACTIVE' &&
    data.attemptCount > 0 &&
    data.nextAttemptAt !== null &&
    new Date(data.nextAttemptAt).getTime() > Date.now()
  );
}

/** "3 attempts", or "attempts 41–60 of 120" when only some are shown. */
function attemptsShown(data: Detail): string {
  const first = data.calls[0]?.attempt;
  const last = data.calls.at(-1)?.attempt;
  if (first === undefined || last === undefined || (first === 1 && last === data.attemptCount)) {
    return `${data.attemptCount} attempt${data.attemptCount === 1 ? '' : 's'}`;
  }
  return `attempts ${first}–${last} of ${data.attemptCount}`;
}

export default function DispatchDetailPage() {
  const { dispatchId } = useParams<{ dispatchId: string }>();
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  // The latest attempts, or those before this one: a dispatch redelivered often has thousands.
  const [callsBefore, setCallsBefore] = useState<number | undefined>(undefined);
  const dispatch = useQuery(
    trpc.insights.dispatch.queryOptions(
      { dispatchId, ...(callsBefore !== undefined && { callsBefore }) },
      {
        placeholderData: keepPreviousData,
        refetchInterval: (query) => (query.state.data?.status === 'ACTIVE' ? 2_000 : false),
      },
    ),
  );
  // Only attempts recorded before each call's request was stored need the request rendered again.
  const rerendered = useQuery(
    trpc.insights.dispatchRequest.queryOptions(
      { dispatchId },
      { enabled: dispatch.data?.calls.some((call) => call.requestState === 'PREDATES_STORAGE') ?? false },
    ),
  );
  const redeliver = useMutation(
    trpc.dispatches.redeliver.mutationOptions({
      // Awaited, so the button stays disabled until the page shows the dispatch as active again.
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() });
        toast.success('Queued for redelivery');
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  // A dispatch waiting on its backoff can be attempted now instead (its schedule carries on).
  const retryNow = useMutation(
    trpc.dispatches.retryNow.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() });
        toast.success('Attempting it now');
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  if (dispatch.error)
    return <QueryError error={dispatch.error} retry={() => dispatch.refetch()} what="dispatch" />;
  const data = dispatch.data;
  return (
    <>
      <PageHeader
        title={`Dispatch ${dispatchId}`}
        description={
          data ? (
            <span className="flex flex-wrap items-center gap-2">
              <DispatchStatusBadge {...data} />
              <span className="font-mono">{data.eventType}</span>
              <span>to</span>
              <Link
                href={`/webhooks/${data.webhookId}`}
                className="font-mono underline-offset-4 hover:underline"
              >
                {data.webhook.requestUrl}
              </Link>
            </span>
          ) : (
            // The line's height once loaded: a badge's row, and on a phone the URL's row below it.
            <span className="grid gap-2">
              <Skeleton className="h-5.5 w-80 max-w-full" />
              <Skeleton className="h-5 w-56 sm:hidden" />
            </span>
          )
        }
        actions={
          // Shown from the first paint (disabled until they apply), so the header does not grow
          // when the data arrives.
          session.scope === 'FULL' && (
            <>
              <Button
                variant="outline"
                onClick={() => retryNow.mutate({ dispatchId })}
                disabled={!waitingOnBackoff(data) || retryNow.isPending}
                title={
                  waitingOnBackoff(data) ? 'Make the next attempt now' : 'Only a dispatch waiting to retry'
                }
              >
                <TimerResetIcon aria-hidden="true" /> Retry now
              </Button>
              <Button
                variant="outline"
                onClick={() => redeliver.mutate({ dispatchId })}
                disabled={!data || data.status === 'ACTIVE' || redeliver.isPending}
                title={data?.status === 'ACTIVE' ? 'Still being delivered' : undefined}
              >
                <RotateCcwIcon aria-hidden="true" /> Redeliver
              </Button>
            </>
          )
        }
      />
      <div className="grid grid-cols-1 gap-6">
        {/* The event first, at a fixed height, and the calls last: their height is known only once
            they load, and growing at the bottom moves nothing else on the page. */}
        <Card className="min-w-0">
          <CardHeader>
            <CardTitle>Event</CardTitle>
          </CardHeader>
          <CardContent>
            {data ? <Json value={data.eventData} label="Event data" /> : <Skeleton className="h-40 w-full" />}
          </CardContent>
        </Card>
        <Card className="min-w-0">
          <CardHeader>
            <CardTitle>Calls</CardTitle>
            <CardDescription>
              {data
                ? // When the next attempt goes is said by the queue state's line below.
                  `${attemptsShown(data)}; created ${formatDateTime(data.createdAt)}${
                    data.finishedAt ? `; finished ${formatDateTime(data.finishedAt)}` : ''
                  }`
                : 'Loading…'}
            </CardDescription>
          </CardHeader>
          {/* Where an ACTIVE dispatch stands, above its calls: inside the content, which replaces its
              placeholder when the data arrives, so the line moves nothing that was on screen. */}
          <CardContent className="grid gap-4">
            {!data ? (
              <Skeleton className="h-32 w-full" />
            ) : (
              <>
                <DispatchQueueState
                  dispatch={data}
                  className="flex items-center gap-2 text-sm font-medium before:size-2 before:shrink-0 before:rounded-full before:bg-warning"
                />
                {data.calls.length === 0 ? (
                  <p className="text-sm text-muted-foreground">No attempt yet.</p>
                ) : (
                  <DispatchCalls calls={data.calls} rerendered={rerendered.data} />
                )}
              </>
            )}
            {data && (data.abridged?.omitted.includes('earlierCalls') || callsBefore !== undefined) && (
              <div className="mt-4 flex flex-wrap gap-2">
                <Button
                  variant="outline"
                  size="sm"
                  disabled={!data.abridged?.omitted.includes('earlierCalls')}
                  onClick={() => setCallsBefore(data.calls[0]?.attempt)}
                >
                  Older attempts
                </Button>
                <Button
                  variant="outline"
                  size="sm"
                  disabled={callsBefore === undefined}
                  onClick={() => setCallsBefore(undefined)}
                >
                  Latest attempts
                </Button>
              </div>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}
