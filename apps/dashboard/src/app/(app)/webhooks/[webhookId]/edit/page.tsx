'use client';

import { useQuery } from '@tanstack/react-query';
import { useParams } from 'next/navigation';
import { PageHeader, QueryError } from '@/components/page';
import { Skeleton } from '@/components/ui/skeleton';
import { WebhookForm } from '@/components/webhooks/webhook-form';
import { useTRPC } from '@/lib/trpc';

export default function EditWebhookPage() {
  const { webhookId } = useParams<{ webhookId: string }>();
  const trpc = useTRPC();
  const webhook = useQuery(trpc.webhooks.get.queryOptions({ webhookId }));
  if (webhook.error)
    return <QueryError error={webhook.error} retry={() => webhook.refetch()} what="webhook" />;
  return (
    <>
      <PageHeader title="Edit webhook" description={webhook.data?.requestUrl ?? ' '} />
      {webhook.data ? <WebhookForm webhook={webhook.data} /> : <Skeleton className="h-[40rem] w-full" />}
    </>
  );
}
