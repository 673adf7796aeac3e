'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { type CreateApiTokenInput, CreateApiTokenInputSchema, type CreatedApiToken } from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { RequireCapability } from '@/components/app-shell';
import { CopyButton } from '@/components/copy-button';
import { Field } from '@/components/field';
import { PageHeader, QueryError } from '@/components/page';
import { EmptyRow, LoadingRows } from '@/components/table-states';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { NativeSelect } from '@/components/ui/native-select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { formatDateTime, formatRelative } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

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
      <Card className="mb-6">
        <CardHeader>
          <CardTitle>Create a token</CardTitle>
        </CardHeader>
        <CardContent>
          <form
            noValidate
            className="grid items-start gap-3 sm:grid-cols-[1fr_12rem_auto]"
            onSubmit={form.handleSubmit((values) => create.mutate(values))}
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
            <Button type="submit" className="sm:mt-5.5" disabled={create.isPending}>
              Create token
            </Button>
          </form>
        </CardContent>
      </Card>
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
        <div className="rounded-lg border">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead className="hidden sm:table-cell">Token</TableHead>
                <TableHead>Scope</TableHead>
                <TableHead className="hidden sm:table-cell">Created</TableHead>
                <TableHead>Last used</TableHead>
                <TableHead>
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {!tokens.data ? (
                <LoadingRows columns={6} />
              ) : (
                tokens.data.map((token) => (
                  <TableRow key={token.id} className="h-12">
                    <TableCell className="font-medium">{token.name}</TableCell>
                    <TableCell className="hidden font-mono text-xs sm:table-cell">{token.prefix}…</TableCell>
                    <TableCell>
                      <Badge variant={token.scope === 'FULL' ? 'secondary' : 'outline'}>
                        {token.scope === 'FULL' ? 'Full' : 'Read only'}
                      </Badge>
                    </TableCell>
                    <TableCell className="hidden sm:table-cell" title={formatDateTime(token.createdAt)}>
                      {formatRelative(token.createdAt)}
                    </TableCell>
                    <TableCell title={formatDateTime(token.lastUsedAt)}>
                      {token.lastUsedAt ? formatRelative(token.lastUsedAt) : 'Never'}
                    </TableCell>
                    <TableCell className="text-right">
                      <Button
                        variant="outline"
                        size="sm"
                        aria-label={`Revoke ${token.name}`}
                        disabled={revoke.isPending}
                        onClick={() => {
                          if (
                            window.confirm(`Revoke "${token.name}"? Programs using it stop working at once.`)
                          )
                            revoke.mutate({ tokenId: token.id });
                        }}
                      >
                        Revoke
                      </Button>
                    </TableCell>
                  </TableRow>
                ))
              )}
              {tokens.data?.length === 0 && <EmptyRow columns={6}>No tokens. Create one above.</EmptyRow>}
            </TableBody>
          </Table>
        </div>
      )}
    </>
  );
}

export default function Page() {
  return (
    <RequireCapability capability="tokens">
      <TokensPage />
    </RequireCapability>
  );
}
