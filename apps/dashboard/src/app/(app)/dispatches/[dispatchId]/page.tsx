'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RotateCcwIcon } from 'lucide-react';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { toast } from 'sonner';
import { CodeBlock } from '@/components/code-block';
import { DispatchCalls } from '@/components/dispatch-calls';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { DispatchQueueState, DispatchStatusBadge, isRetrying } from '@/components/status';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <CodeBlock label={label} className="h-40">
      {JSON.stringify(value, null, 2)}
    </CodeBlock>
  );
}

export default function DispatchDetailPage() {
  const { dispatchId } = useParams<{ dispatchId: string }>();
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const dispatch = useQuery(
    trpc.insights.dispatch.queryOptions(
      { dispatchId },
      { refetchInterval: (query) => (query.state.data?.status === 'ACTIVE' ? 2_000 : false) },
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
              <DispatchStatusBadge status={data.status} retrying={isRetrying(data)} />
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
          // Shown from the first paint (disabled until the dispatch has finished), so the header
          // does not grow when the data arrives.
          session.scope === 'FULL' && (
            <Button
              variant="outline"
              onClick={() => redeliver.mutate({ dispatchId })}
              disabled={!data || data.status === 'ACTIVE' || redeliver.isPending}
              title={data?.status === 'ACTIVE' ? 'Still being delivered' : undefined}
            >
              <RotateCcwIcon aria-hidden="true" /> Redeliver
            </Button>
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
                ? `${data.calls.length} attempt${data.calls.length === 1 ? '' : 's'}; created ${formatDateTime(data.createdAt)}${
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
          </CardContent>
        </Card>
      </div>
    </>
  );
}
