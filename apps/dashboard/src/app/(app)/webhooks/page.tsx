import type { Metadata } from 'next';
import { pageTitle } from '@/lib/page-title';
import { WebhooksTable } from './webhooks-table';

export const metadata: Metadata = { title: pageTitle('Webhooks') };

export default function WebhooksPage() {
  return <WebhooksTable />;
}
