'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { SendIcon } from 'lucide-react';
import Link from 'next/link';
import { CodeBlock } from '@/components/code-block';
import { DispatchStatusBadge } from '@/components/status';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { durationMs, formatHeaders } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

/** Sends a TEST event through the real delivery path and shows its outcome in place as it lands. */
export function TestWebhook({ webhookId }: { webhookId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const test = useMutation(
    trpc.webhooks.test.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() }),
    }),
  );
  const dispatchId = test.data?.id;
  const dispatch = useQuery(
    trpc.insights.dispatch.queryOptions(
      { dispatchId: dispatchId ?? '' },
      {
        enabled: Boolean(dispatchId),
        // Poll until the first call's answer is recorded; a retrying dispatch keeps its later attempts for the log.
        refetchInterval: (query) => (query.state.data?.calls[0]?.finishedAt ? false : 500),
      },
    ),
  );
  const call = dispatch.data?.calls.find((attempt) => attempt.finishedAt !== null);
  return (
    <Card>
      <CardHeader>
        <CardTitle>Test</CardTitle>
        <CardDescription>Delivers a TEST event with a sample payload, signed like any other.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        <Button className="w-fit" onClick={() => test.mutate({ webhookId })} disabled={test.isPending}>
          <SendIcon aria-hidden="true" /> Send test event
        </Button>
        <div aria-live="polite" className="grid gap-2" data-testid="test-result">
          {test.error && <Alert variant="destructive">{test.error.message}</Alert>}
          {dispatchId && !call && <p className="text-sm text-muted-foreground">Delivering…</p>}
          {dispatch.data && call && (
            <>
              <div className="flex flex-wrap items-center gap-3 text-sm">
                <DispatchStatusBadge {...dispatch.data} />
                <span>HTTP {call.responseStatus ?? '—'}</span>
                <span className="text-muted-foreground">{durationMs(call.startedAt, call.finishedAt)}</span>
                <Link
                  href={`/dispatches/${dispatch.data.id}`}
                  className="text-primary underline-offset-4 hover:underline"
                >
                  Open dispatch
                </Link>
              </div>
              {call.errorMessage && <p className="text-sm text-destructive">{call.errorMessage}</p>}
              {call.responseHeaders && (
                <CodeBlock label="Response headers" className="max-h-32 break-all whitespace-pre-wrap">
                  {formatHeaders(call.responseHeaders)}
                </CodeBlock>
              )}
              {call.responseBody && (
                <CodeBlock label="Response body" className="max-h-48 whitespace-pre-wrap">
                  {call.responseBody}
                </CodeBlock>
              )}
            </>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
