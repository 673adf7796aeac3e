import type { Metadata } from 'next';
import { PageHeader } from '@/components/page';
import { WebhookForm } from '@/components/webhooks/webhook-form';

export const metadata: Metadata = { title: 'New webhook' };

export default function NewWebhookPage() {
  return (
    <>
      <PageHeader title="New webhook" description="Choose a URL and the events it should receive." />
      <WebhookForm />
    </>
  );
}
