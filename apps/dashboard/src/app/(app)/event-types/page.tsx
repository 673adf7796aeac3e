'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { CreateEventTypeInputSchema } from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import type { z } from 'zod';
import { RequireCapability } from '@/components/app-shell';
import { CodeBlock } from '@/components/code-block';
import { Field } from '@/components/field';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { LoadingRows } from '@/components/table-states';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Textarea } from '@/components/ui/textarea';
import { jsonText } from '@/lib/json-text';
import { useTRPC } from '@/lib/trpc';

/** The API's input, with the example payload as JSON text (blank: none). */
const EventTypeFormSchema = CreateEventTypeInputSchema.omit({ exampleData: true }).extend({
  exampleText: jsonText(CreateEventTypeInputSchema.shape.exampleData, 'null'),
});

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
        <Card className="mb-6">
          <CardHeader>
            <CardTitle>Add an event type</CardTitle>
          </CardHeader>
          <CardContent>
            <form
              noValidate
              className="grid items-start gap-3 sm:grid-cols-[1fr_2fr_auto]"
              onSubmit={form.handleSubmit(({ exampleText, ...values }) =>
                create.mutate({
                  ...values,
                  description: values.description || null,
                  exampleData: exampleText,
                }),
              )}
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
              <Button
                type="submit"
                className="sm:col-start-3 sm:justify-self-end"
                disabled={create.isPending}
              >
                Add
              </Button>
            </form>
          </CardContent>
        </Card>
      )}
      {types.error ? (
        <QueryError error={types.error} retry={() => types.refetch()} what="event types" />
      ) : (
        <div className="rounded-lg border">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>Description and example</TableHead>
                <TableHead>Kind</TableHead>
                <TableHead>
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {!types.data ? (
                <LoadingRows columns={4} rows={1} height="h-40" />
              ) : (
                types.data.map((type) => (
                  <TableRow key={type.name} className="h-11">
                    <TableCell className="font-mono text-xs">{type.name}</TableCell>
                    <TableCell className="max-w-xl text-muted-foreground">
                      <p className="whitespace-normal">{type.description ?? '—'}</p>
                      {type.exampleData && (
                        <details className="mt-1">
                          <summary className="cursor-pointer text-xs text-foreground">
                            Example eventData
                          </summary>
                          <CodeBlock label={`Example eventData of ${type.name}`} className="mt-1 max-h-64">
                            {JSON.stringify(type.exampleData, null, 2)}
                          </CodeBlock>
                        </details>
                      )}
                    </TableCell>
                    <TableCell>
                      <Badge variant={type.builtIn ? 'secondary' : 'outline'}>
                        {type.builtIn ? 'Built in' : 'Custom'}
                      </Badge>
                    </TableCell>
                    <TableCell className="text-right">
                      {!type.builtIn && canWrite && (
                        <Button
                          variant="outline"
                          size="sm"
                          aria-label={`Remove ${type.name}`}
                          onClick={() => remove.mutate({ name: type.name })}
                          disabled={remove.isPending}
                        >
                          Remove
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                ))
              )}
            </TableBody>
          </Table>
        </div>
      )}
    </>
  );
}

export default function Page() {
  return (
    <RequireCapability capability="eventTypes">
      <EventTypesPage />
    </RequireCapability>
  );
}
