'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RotateCcwIcon } from 'lucide-react';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { toast } from 'sonner';
import { CodeBlock } from '@/components/code-block';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { DispatchStatusBadge } from '@/components/status';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { durationMs, formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <CodeBlock label={label} className="max-h-80">
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
    trpc.dispatches.get.queryOptions(
      { dispatchId },
      { refetchInterval: (query) => (query.state.data?.status === 'ACTIVE' ? 2_000 : false) },
    ),
  );
  const request = useQuery(trpc.insights.dispatchRequest.queryOptions({ dispatchId }));
  const redeliver = useMutation(
    trpc.dispatches.redeliver.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.dispatches.get.queryKey({ dispatchId }), data);
        void queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() });
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
              <DispatchStatusBadge status={data.status} retrying={data.attemptCount > 0} />
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
            <Skeleton className="h-5 w-80" />
          )
        }
        actions={
          data &&
          session.scope === 'FULL' &&
          data.status !== 'ACTIVE' && (
            <Button
              variant="outline"
              onClick={() => redeliver.mutate({ dispatchId })}
              disabled={redeliver.isPending}
            >
              <RotateCcwIcon aria-hidden="true" /> Redeliver
            </Button>
          )
        }
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Calls</CardTitle>
            <CardDescription>
              {data
                ? `${data.calls.length} attempt${data.calls.length === 1 ? '' : 's'}; created ${formatDateTime(data.createdAt)}${
                    data.nextAttemptAt ? `; next attempt ${formatDateTime(data.nextAttemptAt)}` : ''
                  }${data.finishedAt ? `; finished ${formatDateTime(data.finishedAt)}` : ''}`
                : 'Loading…'}
            </CardDescription>
          </CardHeader>
          <CardContent>
            {!data ? (
              <Skeleton className="h-32 w-full" />
            ) : data.calls.length === 0 ? (
              <p className="text-sm text-muted-foreground">No attempt yet.</p>
            ) : (
              <ol className="grid gap-3">
                {data.calls.map((call, index) => {
                  const ok =
                    call.responseStatus !== null && call.responseStatus >= 200 && call.responseStatus < 300;
                  return (
                    <li
                      key={call.startedAt ?? index}
                      className="rounded-md border p-3"
                      data-call-status={call.responseStatus ?? 'none'}
                    >
                      <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm">
                        <span className="font-medium">Attempt {index + 1}</span>
                        <span className={ok ? 'text-success' : 'text-destructive'}>
                          {call.responseStatus !== null ? `HTTP ${call.responseStatus}` : 'No response'}
                        </span>
                        <span className="text-muted-foreground">{formatDateTime(call.startedAt)}</span>
                        <span className="text-muted-foreground">
                          {durationMs(call.startedAt, call.finishedAt)}
                        </span>
                      </div>
                      {call.errorMessage && (
                        <p className="mt-1 text-sm text-destructive">{call.errorMessage}</p>
                      )}
                      {call.responseBody && (
                        <details className="mt-2">
                          <summary className="cursor-pointer text-sm text-muted-foreground">
                            Response body
                          </summary>
                          <CodeBlock
                            label={`Response body of attempt ${index + 1}`}
                            className="mt-2 max-h-60 whitespace-pre-wrap"
                          >
                            {call.responseBody}
                          </CodeBlock>
                        </details>
                      )}
                    </li>
                  );
                })}
              </ol>
            )}
          </CardContent>
        </Card>
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
            <CardTitle>Request</CardTitle>
            <CardDescription>
              Rendered from the event with the webhook's current templates; signatures as of now.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-3">
            {!request.data ? (
              <Skeleton className="h-40 w-full" />
            ) : request.data.error ? (
              <Alert variant="destructive">{request.data.error}</Alert>
            ) : (
              <>
                <p className="font-mono text-xs break-all">POST {request.data.url}</p>
                <CodeBlock label="Request headers" className="max-h-48">
                  {Object.entries(request.data.headers)
                    .map(([name, value]) => `${name}: ${value}`)
                    .join('\n')}
                </CodeBlock>
                <CodeBlock label="Request body" className="max-h-80 break-all whitespace-pre-wrap">
                  {request.data.body}
                </CodeBlock>
              </>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}
