'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { CreateEventTypeInputSchema } from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import type { z } from 'zod';
import { CodeBlock } from '@/components/code-block';
import { ConfirmButton } from '@/components/confirm-button';
import { CreateFormCard } from '@/components/create-form-card';
import { ACTIONS_HEADER, type Column, DataTable } from '@/components/data-table';
import { Field } from '@/components/field';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { Badge } from '@/components/ui/badge';
import { Input } from '@/components/ui/input';
import { Textarea } from '@/components/ui/textarea';
import { jsonText } from '@/lib/json-text';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';

/** The API's input, with the example payload as JSON text (blank: none). */
const EventTypeFormSchema = CreateEventTypeInputSchema.omit({ exampleData: true }).extend({
  exampleText: jsonText(CreateEventTypeInputSchema.shape.exampleData, 'null'),
});

type EventTypeRow = RouterOutputs['eventTypes']['list'][number];

/** On a phone the name sits above its description, in one column: two would leave each too narrow. */
const COLUMNS: Array<Column<EventTypeRow>> = [
  {
    header: 'Name',
    className: 'hidden w-60 sm:table-cell',
    cellClassName: 'font-mono text-xs break-words whitespace-normal',
    cell: (type) => type.name,
  },
  {
    header: (
      <>
        <span className="sm:hidden">Event type</span>
        <span className="hidden sm:inline">Description and example</span>
      </>
    ),
    cellClassName: 'whitespace-normal text-muted-foreground',
    cell: (type) => (
      <>
        <p className="font-mono text-xs break-words text-foreground sm:hidden">{type.name}</p>
        <p>{type.description ?? '—'}</p>
        {type.exampleData && (
          <details className="mt-1">
            <summary className="cursor-pointer text-xs text-foreground">Example eventData</summary>
            <CodeBlock label={`Example eventData of ${type.name}`} className="mt-1 max-h-64">
              {JSON.stringify(type.exampleData, null, 2)}
            </CodeBlock>
          </details>
        )}
      </>
    ),
  },
  {
    header: 'Kind',
    className: 'hidden w-24 sm:table-cell',
    cell: (type) => (
      <Badge variant={type.builtIn ? 'secondary' : 'outline'}>{type.builtIn ? 'Built in' : 'Custom'}</Badge>
    ),
  },
];

function EventTypesPage() {
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const types = useQuery(trpc.eventTypes.list.queryOptions());
  const form = useForm<z.input<typeof EventTypeFormSchema>, unknown, z.output<typeof EventTypeFormSchema>>({
    resolver: zodResolver(EventTypeFormSchema),
    defaultValues: { name: '', description: '', exampleText: '' },
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.eventTypes.list.queryKey() });
  const create = useMutation(
    trpc.eventTypes.create.mutationOptions({
      onSuccess: () => {
        form.reset();
        toast.success('Event type added');
        void invalidate();
      },
    }),
  );
  const remove = useMutation(
    trpc.eventTypes.delete.mutationOptions({
      onSuccess: () => invalidate(),
      onError: (error) => toast.error(error.message),
    }),
  );
  // A portal customer subscribes to the team's catalogue; the team registers the types.
  const canWrite = session.scope === 'FULL' && session.mode === 'FULL';
  return (
    <>
      <PageHeader
        title="Event types"
        description={
          session.mode === 'PORTAL'
            ? 'The events you can subscribe your webhooks to, with an example of what each one sends.'
            : "Apify's catalogue is built in; add the events your own product publishes."
        }
      />
      {canWrite && (
        <CreateFormCard
          title="Add an event type"
          columns="sm:grid-cols-[1fr_2fr_auto]"
          onSubmit={form.handleSubmit(({ exampleText, ...values }) =>
            create.mutate({
              ...values,
              description: values.description || null,
              exampleData: exampleText,
            }),
          )}
          submitLabel="Add"
          submitClassName="sm:col-start-3 sm:mt-0 sm:justify-self-end"
          pending={create.isPending}
        >
          <Field label="Name" error={form.formState.errors.name?.message ?? create.error?.message}>
            {(props) => <Input placeholder="contact.created" {...props} {...form.register('name')} />}
          </Field>
          <Field label="Description" error={form.formState.errors.description?.message}>
            {(props) => (
              <Input placeholder="A contact was created" {...props} {...form.register('description')} />
            )}
          </Field>
          <Field
            label="Example eventData (JSON, optional)"
            error={form.formState.errors.exampleText?.message}
            className="sm:col-span-3"
          >
            {(props) => (
              <Textarea
                rows={3}
                className="font-mono text-xs"
                placeholder='{ "contactId": "c_123", "email": "ada@example.com" }'
                {...props}
                {...form.register('exampleText')}
              />
            )}
          </Field>
        </CreateFormCard>
      )}
      {types.error ? (
        <QueryError error={types.error} retry={() => types.refetch()} what="event types" />
      ) : (
        <DataTable
          // A column of Remove buttons only where something can be removed.
          columns={
            canWrite
              ? [
                  ...COLUMNS,
                  {
                    header: ACTIONS_HEADER,
                    className: 'w-24 text-right',
                    cell: (type) =>
                      !type.builtIn && (
                        <ConfirmButton
                          label={`Remove ${type.name}`}
                          confirm={{
                            title: `Remove ${type.name}?`,
                            description:
                              'Webhooks already subscribed to it keep it; no new webhook can choose it.',
                            action: 'Remove event type',
                          }}
                          onConfirm={() => remove.mutate({ name: type.name })}
                          pending={remove.isPending}
                        >
                          Remove
                        </ConfirmButton>
                      ),
                  },
                ]
              : COLUMNS
          }
          rows={types.data}
          rowKey={(type) => type.name}
          rowClassName="h-11"
          placeholderRows={6}
        />
      )}
    </>
  );
}

export default EventTypesPage;
