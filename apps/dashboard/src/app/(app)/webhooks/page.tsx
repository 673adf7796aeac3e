import type { Metadata } from 'next';
import { WebhooksTable } from './webhooks-table';

export const metadata: Metadata = { title: 'Webhooks' };

export default function WebhooksPage() {
  return <WebhooksTable />;
}
