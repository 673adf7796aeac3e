'use client';

import { useMutation, usePrefetchQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { PauseIcon, PencilIcon, PlayIcon, Trash2Icon } from 'lucide-react';
import Link from 'next/link';
import { useParams, useRouter } from 'next/navigation';
import { toast } from 'sonner';
import { ConfirmButton } from '@/components/confirm-button';
import { DispatchLog, dispatchLogInput } from '@/components/dispatch-log';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { RateLimitBadge, WebhookStateBadge } from '@/components/status';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { useTRPC } from '@/lib/trpc';
import { CircuitNotice } from './circuit-notice';
import { DeliveryChart, histogramInput } from './delivery-chart';
import { NotificationsPanel } from './notifications-panel';
import { SecretPanel } from './secret-panel';
import { TestWebhook } from './test-webhook';

/** What the webhook listens to and what it is for, in one line. */
function summaryOf(webhook: { eventTypes: string[]; description: string | null }) {
  return [webhook.eventTypes.join(', '), webhook.description].filter(Boolean).join(' · ');
}

export default function WebhookDetailPage() {
  const { webhookId } = useParams<{ webhookId: string }>();
  const trpc = useTRPC();
  const router = useRouter();
  const session = useSession();
  const queryClient = useQueryClient();
  const canWrite = session.scope === 'FULL';
  const webhook = useQuery(trpc.webhooks.get.queryOptions({ webhookId }, { refetchInterval: 10_000 }));
  usePrefetchQuery(trpc.insights.histogram.queryOptions(histogramInput(webhookId)));
  usePrefetchQuery(trpc.insights.dispatchLog.queryOptions(dispatchLogInput({ webhookId })));
  const lastFailure = useQuery(
    trpc.insights.dispatchLog.queryOptions(
      { webhookId, status: 'FAILED', limit: 1 },
      { enabled: webhook.data?.state === 'TOO_MANY_ERRORS' },
    ),
  );
  const setState = useMutation(
    trpc.webhooks.update.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.webhooks.get.queryKey({ webhookId }), saved);
        void queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() });
        toast.success(saved.state === 'ACTIVE' ? 'Webhook resumed' : 'Webhook paused');
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() });
        toast.success('Webhook deleted');
        router.push('/webhooks');
      },
      onError: (error) => toast.error(error.message),
    }),
  );

  if (webhook.error)
    return <QueryError error={webhook.error} retry={() => webhook.refetch()} what="webhook" />;
  const data = webhook.data;
  return (
    <>
      <PageHeader
        title={
          data ? (
            <span className="font-mono text-xl">{data.requestUrl}</span>
          ) : (
            <Skeleton className="h-8 w-96 max-w-full" />
          )
        }
        description={
          // One line, loading or loaded (the whole text in its title), so the page does not move.
          data ? (
            <span className="flex min-w-0 items-center gap-2">
              <WebhookStateBadge state={data.state} />
              <RateLimitBadge perSecond={data.rateLimitPerSecond} />
              <span className="truncate" title={summaryOf(data)}>
                {summaryOf(data)}
              </span>
            </span>
          ) : (
            <Skeleton className="h-5.5 w-64 max-w-full" />
          )
        }
        actions={
          !canWrite ? null : !data ? (
            // The buttons' row, held while the webhook loads (on a phone it is a row of its own).
            <Skeleton className="h-9 w-72 max-w-full" />
          ) : (
            <>
              {data.state === 'ACTIVE' ? (
                <Button
                  variant="outline"
                  disabled={setState.isPending}
                  onClick={() => setState.mutate({ webhookId, data: { state: 'STOPPED' } })}
                >
                  <PauseIcon aria-hidden="true" /> Pause
                </Button>
              ) : (
                <Button
                  variant="outline"
                  disabled={setState.isPending}
                  onClick={() => setState.mutate({ webhookId, data: { state: 'ACTIVE' } })}
                >
                  <PlayIcon aria-hidden="true" /> Resume
                </Button>
              )}
              <Button variant="outline" asChild>
                <Link href={`/webhooks/${webhookId}/edit`}>
                  <PencilIcon aria-hidden="true" /> Edit
                </Link>
              </Button>
              <ConfirmButton
                size="default"
                confirm={{
                  title: 'Delete this webhook?',
                  description: 'Its dispatch history goes with it, and no more events are delivered to it.',
                  action: 'Delete webhook',
                }}
                onConfirm={() => remove.mutate({ webhookId })}
                pending={remove.isPending}
              >
                <Trash2Icon aria-hidden="true" /> Delete
              </ConfirmButton>
            </>
          )
        }
      />
      {/* Resuming a webhook that is not ACTIVE closes its circuit anyway: the notices above say enough. */}
      {data?.state === 'ACTIVE' && data.circuit.state === 'OPEN' && (
        <div className="mb-6">
          <CircuitNotice circuit={data.circuit} />
        </div>
      )}
      {data?.state === 'TOO_MANY_ERRORS' && (
        <Alert variant="destructive" className="mb-6">
          <AlertTitle>Stopped after too many errors</AlertTitle>
          <AlertDescription>
            Ricochet stopped delivering because dispatches kept failing (or the receiver answered 410 Gone).
            {lastFailure.data?.items[0] && (
              <>
                {' '}
                Last failure:{' '}
                <Link className="underline" href={`/dispatches/${lastFailure.data.items[0].id}`}>
                  {lastFailure.data.items[0].eventType}, HTTP{' '}
                  {lastFailure.data.items[0].lastResponseStatus ?? 'no response'}
                </Link>
                .
              </>
            )}{' '}
            Fix the receiver, then resume: waiting dispatches are delivered again.
          </AlertDescription>
        </Alert>
      )}
      {data?.state === 'STOPPED' && (
        <Alert variant="warning" className="mb-6">
          <AlertTitle>Paused</AlertTitle>
          <AlertDescription>
            Someone paused this webhook. New events are not dispatched to it, and dispatches already queued
            wait until it is resumed.
          </AlertDescription>
        </Alert>
      )}
      {data ? (
        <div key="parts" className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
          <div className="grid min-w-0 grid-cols-1 content-start gap-6">
            <DeliveryChart webhookId={webhookId} />
            <DispatchLog webhookId={webhookId} />
          </div>
          <div className="grid min-w-0 grid-cols-1 content-start gap-6">
            {canWrite && <TestWebhook webhookId={webhookId} />}
            <SecretPanel webhookId={webhookId} canWrite={canWrite} />
            <NotificationsPanel webhookId={webhookId} />
          </div>
        </div>
      ) : (
        // Until the webhook has loaded, whether a notice goes above is not known: placeholders, which
        // the parts replace whole, so a notice pushes nothing that was on screen (a layout shift). The
        // parts' data is asked for meanwhile (prefetched above), in the same request as the webhook.
        // (Keyed apart, or React would keep the same grid element and move it.)
        <div key="placeholders" className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
          <div className="grid min-w-0 grid-cols-1 content-start gap-6">
            <Skeleton className="h-[21rem] w-full rounded-lg" />
            <Skeleton className="h-[30rem] w-full rounded-lg" />
          </div>
          <div className="grid min-w-0 grid-cols-1 content-start gap-6">
            {canWrite && <Skeleton className="h-40 w-full rounded-lg" />}
            <Skeleton className="h-56 w-full rounded-lg" />
          </div>
        </div>
      )}
    </>
  );
}
