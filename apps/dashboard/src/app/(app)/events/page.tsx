'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { EventTypeNameSchema, PublishEventInputSchema } from '@ricochet/schema';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { CreateFormCard } from '@/components/create-form-card';
import type { Column } from '@/components/data-table';
import { Field } from '@/components/field';
import { HistoryNote } from '@/components/history-note';
import { PagedList } from '@/components/list-page';
import { PageHeader } from '@/components/page';
import { useSession } from '@/components/session';
import { NativeSelect } from '@/components/ui/native-select';
import { Textarea } from '@/components/ui/textarea';
import { formatDateTime, formatRelative } from '@/lib/format';
import { jsonText } from '@/lib/json-text';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';
import { cn } from '@/lib/utils';

const PAGE_SIZE = 20;

/** The publish form: the event type, and eventData as JSON text checked by the API's own schema. */
const PublishFormSchema = z.object({
  eventType: EventTypeNameSchema,
  eventDataText: jsonText(PublishEventInputSchema.shape.eventData, '{}'),
});

type EventRow = RouterOutputs['insights']['events']['items'][number];

/** A right-aligned column of numbers, coloured by `tone` when not zero. */
function countColumn(
  header: string,
  count: (event: EventRow) => number,
  className: string,
  tone?: string,
): Column<EventRow> {
  return {
    header,
    className: cn('text-right', className),
    cellClassName: 'tabular-nums',
    cell: (event) => <span className={count(event) > 0 ? tone : undefined}>{count(event)}</span>,
  };
}

/** On a phone: what, to how many webhooks, when. */
const COLUMNS: Array<Column<EventRow>> = [
  {
    header: 'Event type',
    cellClassName: 'truncate font-mono text-xs',
    // Its page: the payload, and its fan-out (one dispatch per webhook it reached).
    cell: (event) => (
      <Link
        href={`/events/${event.id}`}
        className="underline underline-offset-4"
        title={event.eventType}
        aria-label={`${event.eventType}: event ${event.id}`}
      >
        {event.eventType}
      </Link>
    ),
  },
  {
    header: 'ID',
    className: 'hidden w-48 md:table-cell',
    cellClassName: 'truncate font-mono text-xs text-muted-foreground',
    cell: (event) => event.id,
  },
  countColumn('Webhooks', (event) => event.dispatchCount, 'w-22 sm:w-24'),
  countColumn('Succeeded', (event) => event.succeeded, 'hidden w-24 sm:table-cell', 'text-success'),
  countColumn('Failed', (event) => event.failed, 'hidden w-20 sm:table-cell', 'text-destructive'),
  countColumn('In flight', (event) => event.active, 'hidden w-20 sm:table-cell'),
  {
    header: 'Published',
    className: 'w-32 sm:w-36',
    cellClassName: 'truncate',
    cell: (event) => <span title={formatDateTime(event.createdAt)}>{formatRelative(event.createdAt)}</span>,
  },
];

function EventsPage() {
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const [offset, setOffset] = useState(0);
  const eventTypes = useQuery(trpc.eventTypes.list.queryOptions());
  const events = useQuery(
    trpc.insights.events.queryOptions(
      { offset, limit: PAGE_SIZE },
      { placeholderData: keepPreviousData, refetchInterval: 5_000 },
    ),
  );
  const form = useForm<z.input<typeof PublishFormSchema>, unknown, z.output<typeof PublishFormSchema>>({
    resolver: zodResolver(PublishFormSchema),
    defaultValues: { eventType: 'TEST', eventDataText: '{\n  "actorId": "",\n  "actorRunId": ""\n}' },
  });
  const publish = useMutation(
    trpc.events.publish.mutationOptions({
      onSuccess: (event) => {
        toast.success(
          `Event published to ${event.dispatchCount} webhook${event.dispatchCount === 1 ? '' : 's'}`,
        );
        void queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() });
      },
    }),
  );
  return (
    <>
      <PageHeader
        title="Events"
        description="What your services published, and how many webhooks each reached."
      />
      {session.scope === 'FULL' && (
        <CreateFormCard
          title="Publish an event"
          columns="sm:grid-cols-[16rem_1fr]"
          onSubmit={form.handleSubmit((values) =>
            publish.mutate({ eventType: values.eventType, eventData: values.eventDataText }),
          )}
          submitLabel="Publish"
          submitClassName="w-fit sm:mt-0"
          pending={publish.isPending}
        >
          <Field
            label="Event type"
            error={form.formState.errors.eventType?.message ?? publish.error?.message}
          >
            {(props) => (
              // Controlled: the choice stays TEST when the catalogue's options replace the placeholder.
              <Controller
                control={form.control}
                name="eventType"
                render={({ field }) => (
                  <NativeSelect {...props} {...field}>
                    {eventTypes.data?.map((type) => (
                      <option key={type.name} value={type.name}>
                        {type.name}
                      </option>
                    )) ?? <option value="TEST">TEST</option>}
                  </NativeSelect>
                )}
              />
            )}
          </Field>
          <Field label="Event data (JSON)" error={form.formState.errors.eventDataText?.message}>
            {(props) => <Textarea rows={4} {...props} {...form.register('eventDataText')} />}
          </Field>
        </CreateFormCard>
      )}
      <PagedList
        query={events}
        label="Events"
        offset={offset}
        pageSize={PAGE_SIZE}
        onOffset={setOffset}
        columns={COLUMNS}
        rowKey={(event) => event.id}
        rowClassName="h-11"
        empty="No events yet. Publish one above or with POST /v2/events."
      />
      <HistoryNote />
    </>
  );
}

export default EventsPage;
