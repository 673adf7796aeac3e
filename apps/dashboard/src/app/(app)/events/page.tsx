'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { EventTypeNameSchema, PublishEventInputSchema } from '@ricochet/schema';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { RequireCapability } from '@/components/app-shell';
import { Field } from '@/components/field';
import { PageHeader, QueryError } from '@/components/page';
import { Pagination } from '@/components/pagination';
import { useSession } from '@/components/session';
import { EmptyRow, LoadingRows } from '@/components/table-states';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { NativeSelect } from '@/components/ui/native-select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Textarea } from '@/components/ui/textarea';
import { formatDateTime, formatRelative } from '@/lib/format';
import { jsonText } from '@/lib/json-text';
import { useTRPC } from '@/lib/trpc';

const PAGE_SIZE = 20;

/** The publish form: the event type, and eventData as JSON text checked by the API's own schema. */
const PublishFormSchema = z.object({
  eventType: EventTypeNameSchema,
  eventDataText: jsonText(PublishEventInputSchema.shape.eventData, '{}'),
});

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
        <Card className="mb-6">
          <CardHeader>
            <CardTitle>Publish an event</CardTitle>
          </CardHeader>
          <CardContent>
            <form
              noValidate
              className="grid gap-3 sm:grid-cols-[16rem_1fr]"
              onSubmit={form.handleSubmit((values) =>
                publish.mutate({ eventType: values.eventType, eventData: values.eventDataText }),
              )}
            >
              <Field
                label="Event type"
                error={form.formState.errors.eventType?.message ?? publish.error?.message}
              >
                {(props) => (
                  <NativeSelect {...props} {...form.register('eventType')}>
                    {eventTypes.data?.map((type) => (
                      <option key={type.name} value={type.name}>
                        {type.name}
                      </option>
                    )) ?? <option value="TEST">TEST</option>}
                  </NativeSelect>
                )}
              </Field>
              <Field label="Event data (JSON)" error={form.formState.errors.eventDataText?.message}>
                {(props) => <Textarea rows={4} {...props} {...form.register('eventDataText')} />}
              </Field>
              <Button type="submit" className="w-fit" disabled={publish.isPending}>
                Publish
              </Button>
            </form>
          </CardContent>
        </Card>
      )}
      {events.error ? (
        <QueryError error={events.error} retry={() => events.refetch()} what="events" />
      ) : (
        <div className="rounded-lg border">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Event type</TableHead>
                <TableHead>ID</TableHead>
                <TableHead className="text-right">Webhooks</TableHead>
                <TableHead className="text-right">Succeeded</TableHead>
                <TableHead className="text-right">Failed</TableHead>
                <TableHead className="text-right">In flight</TableHead>
                <TableHead>Published</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {!events.data ? (
                <LoadingRows columns={7} rows={1} height="h-24" />
              ) : (
                events.data.items.map((event) => (
                  <TableRow key={event.id} className="h-11">
                    <TableCell className="font-mono text-xs">{event.eventType}</TableCell>
                    <TableCell className="font-mono text-xs">
                      <Link
                        href={`/dispatches?eventId=${event.id}`}
                        className="underline-offset-4 hover:underline"
                        aria-label={`Dispatches of event ${event.id}`}
                      >
                        {event.id}
                      </Link>
                    </TableCell>
                    <TableCell className="text-right tabular-nums">{event.dispatchCount}</TableCell>
                    <TableCell className="text-right text-success tabular-nums">{event.succeeded}</TableCell>
                    <TableCell className="text-right text-destructive tabular-nums">{event.failed}</TableCell>
                    <TableCell className="text-right tabular-nums">{event.active}</TableCell>
                    <TableCell title={formatDateTime(event.createdAt)}>
                      {formatRelative(event.createdAt)}
                    </TableCell>
                  </TableRow>
                ))
              )}
              {events.data?.items.length === 0 && (
                <EmptyRow columns={7}>No events yet. Publish one above or with POST /v2/events.</EmptyRow>
              )}
            </TableBody>
          </Table>
        </div>
      )}
      {events.data && events.data.total > 0 && (
        <Pagination
          offset={offset}
          limit={PAGE_SIZE}
          total={events.data.total}
          onChange={setOffset}
          label="Events"
        />
      )}
    </>
  );
}

export default function Page() {
  return (
    <RequireCapability capability="events">
      <EventsPage />
    </RequireCapability>
  );
}
