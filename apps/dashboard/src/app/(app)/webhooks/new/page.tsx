import type { Metadata } from 'next';
import { PageHeader } from '@/components/page';
import { WebhookForm } from '@/components/webhooks/webhook-form';
import { pageTitle } from '@/lib/page-title';

export const metadata: Metadata = { title: pageTitle('New webhook') };

export default function NewWebhookPage() {
  return (
    <>
      <PageHeader title="New webhook" description="Choose a URL and the events it should receive." />
      <WebhookForm />
    </>
  );
}
