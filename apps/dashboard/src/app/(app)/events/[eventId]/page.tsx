'use client';

import { useQuery } from '@tanstack/react-query';
import { useParams } from 'next/navigation';
import { CodeBlock } from '@/components/code-block';
import { DispatchLog } from '@/components/dispatch-log';
import { PageHeader, QueryError } from '@/components/page';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

/** One event: what was published (its data and resource) and its dispatches, one per webhook it reached. */
function EventPage() {
  const { eventId } = useParams<{ eventId: string }>();
  const trpc = useTRPC();
  const event = useQuery(trpc.events.get.queryOptions({ eventId }));
  if (event.error) return <QueryError error={event.error} retry={() => event.refetch()} what="event" />;
  const data = event.data;
  return (
    <>
      <PageHeader
        title={`Event ${eventId}`}
        description={
          data ? (
            <span className="flex flex-wrap items-center gap-2">
              <span className="font-mono">{data.eventType}</span>
              <span>
                published {formatDateTime(data.createdAt)} to {data.dispatchCount} webhook
                {data.dispatchCount === 1 ? '' : 's'}
              </span>
            </span>
          ) : (
            <Skeleton className="h-5 w-80" />
          )
        }
      />
      <div className="grid grid-cols-1 gap-6">
        {/* Fixed heights: nothing moves when the event arrives. */}
        <Card className="min-w-0">
          <CardHeader>
            <CardTitle>Payload</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4 md:grid-cols-2">
            {data ? (
              <>
                <CodeBlock label="Event data" className="h-56" data-testid="event-data">
                  {JSON.stringify(data.eventData, null, 2)}
                </CodeBlock>
                <CodeBlock label="Resource" className="h-56">
                  {data.resource === null ? '(none)' : JSON.stringify(data.resource, null, 2)}
                </CodeBlock>
              </>
            ) : (
              <>
                <Skeleton className="h-56 w-full" />
                <Skeleton className="h-56 w-full" />
              </>
            )}
          </CardContent>
        </Card>
        <DispatchLog eventId={eventId} />
      </div>
    </>
  );
}

export default EventPage;
