'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import {
  type ApiToken,
  type CreateApiTokenInput,
  CreateApiTokenInputSchema,
  type CreatedApiToken,
} from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { ConfirmButton } from '@/components/confirm-button';
import { CopyButton } from '@/components/copy-button';
import { CreateFormCard } from '@/components/create-form-card';
import { ACTIONS_HEADER, type Column, DataTable } from '@/components/data-table';
import { Field } from '@/components/field';
import { PageHeader, QueryError } from '@/components/page';
import { Badge } from '@/components/ui/badge';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { NativeSelect } from '@/components/ui/native-select';
import { formatDateTime, formatRelative } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const COLUMNS: Array<Column<ApiToken>> = [
  { header: 'Name', cellClassName: 'truncate font-medium', cell: (token) => token.name },
  {
    header: 'Token',
    className: 'hidden w-40 sm:table-cell',
    cellClassName: 'truncate font-mono text-xs',
    cell: (token) => `${token.prefix}…`,
  },
  {
    header: 'Scope',
    className: 'hidden w-24 sm:table-cell',
    cell: (token) => (
      <Badge variant={token.scope === 'FULL' ? 'secondary' : 'outline'}>
        {token.scope === 'FULL' ? 'Full' : 'Read only'}
      </Badge>
    ),
  },
  {
    header: 'Created',
    className: 'hidden w-36 sm:table-cell',
    cellClassName: 'truncate',
    cell: (token) => <span title={formatDateTime(token.createdAt)}>{formatRelative(token.createdAt)}</span>,
  },
  {
    header: 'Last used',
    className: 'w-28 sm:w-36',
    cellClassName: 'truncate',
    cell: (token) => (
      <span title={formatDateTime(token.lastUsedAt)}>
        {token.lastUsedAt ? formatRelative(token.lastUsedAt) : 'Never'}
      </span>
    ),
  },
];

function TokensPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const form = useForm<CreateApiTokenInput>({
    resolver: zodResolver(CreateApiTokenInputSchema),
    defaultValues: { name: '', scope: 'FULL' },
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: (token) => {
        setCreated(token);
        form.reset();
        void invalidate();
      },
    }),
  );
  const revoke = useMutation(
    trpc.tokens.revoke.mutationOptions({
      onSuccess: () => {
        toast.success('Token revoked');
        void invalidate();
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  return (
    <>
      <PageHeader title="API tokens" description="Tokens let programs use the REST API and the SDK as you." />
      <CreateFormCard
        title="Create a token"
        columns="sm:grid-cols-[1fr_12rem_auto]"
        onSubmit={form.handleSubmit((values) => create.mutate(values))}
        submitLabel="Create token"
        pending={create.isPending}
      >
        <Field label="Name" error={form.formState.errors.name?.message ?? create.error?.message}>
          {(props) => <Input placeholder="e.g. billing-service" {...props} {...form.register('name')} />}
        </Field>
        <Field label="Scope">
          {(props) => (
            <NativeSelect {...props} {...form.register('scope')}>
              <option value="FULL">Full access</option>
              <option value="READ_ONLY">Read only</option>
            </NativeSelect>
          )}
        </Field>
      </CreateFormCard>
      <Dialog open={created !== null} onOpenChange={(open) => !open && setCreated(null)}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Token created</DialogTitle>
            <DialogDescription>Copy it now: it is shown only this once.</DialogDescription>
          </DialogHeader>
          <div className="flex items-center gap-2">
            <code
              className="min-w-0 flex-1 rounded bg-muted px-2 py-2 text-xs break-all"
              data-testid="created-token"
            >
              {created?.token}
            </code>
            {created && <CopyButton value={created.token} />}
          </div>
        </DialogContent>
      </Dialog>
      {tokens.error ? (
        <QueryError error={tokens.error} retry={() => tokens.refetch()} what="tokens" />
      ) : (
        <DataTable
          columns={[
            ...COLUMNS,
            {
              header: ACTIONS_HEADER,
              className: 'w-24 text-right',
              cell: (token) => (
                <ConfirmButton
                  label={`Revoke ${token.name}`}
                  confirm={{
                    title: `Revoke “${token.name}”?`,
                    description: 'Programs using it stop working at once.',
                    action: 'Revoke token',
                  }}
                  onConfirm={() => revoke.mutate({ tokenId: token.id })}
                  pending={revoke.isPending}
                >
                  Revoke
                </ConfirmButton>
              ),
            },
          ]}
          rows={tokens.data}
          rowKey={(token) => token.id}
          empty="No tokens. Create one above."
        />
      )}
    </>
  );
}

export default TokensPage;
