'use client';

import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { DispatchLog } from '@/components/dispatch-log';
import { HistoryNote } from '@/components/history-note';
import { PageHeader } from '@/components/page';

function Dispatches() {
  const eventId = useSearchParams().get('eventId') ?? undefined;
  return (
    <>
      <PageHeader
        title="Dispatches"
        description={
          eventId ? `The deliveries of event ${eventId}.` : 'Every delivery to every webhook, newest first.'
        }
      />
      <DispatchLog {...(eventId && { eventId })} />
      <HistoryNote />
    </>
  );
}

export default function DispatchesPage() {
  return (
    <Suspense>
      <Dispatches />
    </Suspense>
  );
}
