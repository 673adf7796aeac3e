'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import {
  type CreateUserAccountInput,
  CreateUserAccountInputSchema,
  PasswordSchema,
  RetentionDaysSchema,
  type UserAccount,
} from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { ConfirmButton } from '@/components/confirm-button';
import { CreateFormCard } from '@/components/create-form-card';
import { ACTIONS_HEADER, type Column, DataTable } from '@/components/data-table';
import { Field } from '@/components/field';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Checkbox } from '@/components/ui/checkbox';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { formatRelative } from '@/lib/format';
import { userStateLabel } from '@/lib/labels';
import { useTRPC } from '@/lib/trpc';

const ResetPasswordFormSchema = z.object({ password: PasswordSchema });

function ResetPasswordDialog({ user, onClose }: { user: UserAccount | null; onClose: () => void }) {
  const trpc = useTRPC();
  const form = useForm<z.input<typeof ResetPasswordFormSchema>>({
    resolver: zodResolver(ResetPasswordFormSchema),
    defaultValues: { password: '' },
  });
  const setPassword = useMutation(
    trpc.admin.setPassword.mutationOptions({
      onSuccess: () => {
        toast.success(`Password of ${user?.username} set; their sessions were signed out`);
        form.reset();
        onClose();
      },
    }),
  );
  return (
    <Dialog open={user !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Set a new password for {user?.username}</DialogTitle>
          <DialogDescription>Tell them the password; their current sessions end.</DialogDescription>
        </DialogHeader>
        <form
          noValidate
          className="grid gap-3"
          onSubmit={form.handleSubmit(
            ({ password }) => user && setPassword.mutate({ userId: user.id, password }),
          )}
        >
          <Field
            label="New password"
            error={form.formState.errors.password?.message ?? setPassword.error?.message}
          >
            {(props) => (
              <Input type="password" autoComplete="new-password" {...props} {...form.register('password')} />
            )}
          </Field>
          <Button type="submit" disabled={setPassword.isPending}>
            Set password
          </Button>
        </form>
      </DialogContent>
    </Dialog>
  );
}

// Empty is "the installation's"; otherwise whole days, checked by the schema the API checks with.
const RetentionFormSchema = z.object({
  retentionDays: z.union([z.literal(''), z.coerce.number().pipe(RetentionDaysSchema)]),
});

function RetentionDialog({ user, onClose }: { user: UserAccount | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useForm<z.input<typeof RetentionFormSchema>, unknown, z.output<typeof RetentionFormSchema>>({
    resolver: zodResolver(RetentionFormSchema),
    values: { retentionDays: user?.retentionDays === null || !user ? '' : String(user.retentionDays) },
  });
  const setRetention = useMutation(
    trpc.admin.setRetention.mutationOptions({
      onSuccess: (updated) => {
        toast.success(
          updated.retentionDays === null
            ? `${updated.username} keeps the installation's history`
            : `${updated.username} keeps ${updated.retentionDays} days of history`,
        );
        void queryClient.invalidateQueries({ queryKey: trpc.admin.users.queryKey() });
        onClose();
      },
    }),
  );
  return (
    <Dialog open={user !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>History kept for {user?.username}</DialogTitle>
          <DialogDescription>
            Days of events, finished dispatches and calls they see. Empty: the installation's retention. Older
            history is removed from their view at once; dispatches still being delivered are kept.
          </DialogDescription>
        </DialogHeader>
        <form
          noValidate
          className="grid gap-3"
          onSubmit={form.handleSubmit(
            ({ retentionDays }) =>
              user &&
              setRetention.mutate({
                userId: user.id,
                retentionDays: retentionDays === '' ? null : retentionDays,
              }),
          )}
        >
          <Field
            label="Retention (days)"
            error={form.formState.errors.retentionDays?.message ?? setRetention.error?.message}
          >
            {(props) => (
              <Input inputMode="numeric" autoComplete="off" {...props} {...form.register('retentionDays')} />
            )}
          </Field>
          <Button type="submit" disabled={setRetention.isPending}>
            Save retention
          </Button>
        </form>
      </DialogContent>
    </Dialog>
  );
}

const COLUMNS: Array<Column<UserAccount>> = [
  { header: 'Username', cellClassName: 'truncate font-medium', cell: (user) => user.username },
  {
    header: 'Role',
    className: 'hidden w-24 sm:table-cell',
    cell: (user) => (user.isAdmin ? <Badge>Admin</Badge> : <Badge variant="secondary">User</Badge>),
  },
  {
    header: 'Status',
    className: 'w-24 sm:w-32',
    cell: (user) =>
      user.disabled ? (
        <Badge variant="destructive">{userStateLabel(true)}</Badge>
      ) : user.hasPassword ? (
        <Badge variant="success">{userStateLabel(false)}</Badge>
      ) : (
        <Badge variant="outline" title="No password: they use the API with tokens only">
          API only
        </Badge>
      ),
  },
  {
    header: 'History',
    className: 'hidden w-28 md:table-cell',
    cellClassName: 'truncate tabular-nums',
    cell: (user) => (user.retentionDays === null ? 'Default' : `${user.retentionDays} days`),
  },
  {
    header: 'Created',
    className: 'hidden w-36 md:table-cell',
    cellClassName: 'truncate',
    cell: (user) => formatRelative(user.createdAt),
  },
];

function UsersPage() {
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.admin.users.queryOptions());
  const [resetting, setResetting] = useState<UserAccount | null>(null);
  const [retaining, setRetaining] = useState<UserAccount | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.admin.users.queryKey() });
  const form = useForm<CreateUserAccountInput>({
    resolver: zodResolver(CreateUserAccountInputSchema),
    defaultValues: { username: '', password: '', isAdmin: false },
  });
  const create = useMutation(
    trpc.admin.createUser.mutationOptions({
      onSuccess: (user) => {
        toast.success(`User ${user.username} created`);
        form.reset();
        void invalidate();
      },
    }),
  );
  const setDisabled = useMutation(
    trpc.admin.setDisabled.mutationOptions({
      onSuccess: () => invalidate(),
      onError: (error) => toast.error(error.message),
    }),
  );
  return (
    <>
      <PageHeader title="Users" description="Each user has their own webhooks, events and tokens." />
      <CreateFormCard
        title="Create a user"
        columns="sm:grid-cols-[1fr_1fr_auto_auto]"
        onSubmit={form.handleSubmit((values) => create.mutate(values))}
        submitLabel="Create user"
        pending={create.isPending}
      >
        <Field label="Username" error={form.formState.errors.username?.message ?? create.error?.message}>
          {(props) => <Input autoComplete="off" {...props} {...form.register('username')} />}
        </Field>
        <Field label="First password" error={form.formState.errors.password?.message}>
          {(props) => (
            <Input type="password" autoComplete="new-password" {...props} {...form.register('password')} />
          )}
        </Field>
        <Controller
          control={form.control}
          name="isAdmin"
          render={({ field }) => (
            <Label className="font-normal sm:mt-8">
              <Checkbox
                checked={Boolean(field.value)}
                onCheckedChange={(value) => field.onChange(value === true)}
              />
              Administrator
            </Label>
          )}
        />
      </CreateFormCard>
      <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />
      <RetentionDialog user={retaining} onClose={() => setRetaining(null)} />
      {users.error ? (
        <QueryError error={users.error} retry={() => users.refetch()} what="users" />
      ) : (
        <DataTable
          columns={[
            ...COLUMNS,
            {
              header: ACTIONS_HEADER,
              className: 'w-28 sm:w-72',
              cellClassName: 'text-right',
              cell: (user) => (
                <div className="flex flex-wrap justify-end gap-2">
                  <Button
                    variant="outline"
                    size="sm"
                    onClick={() => setResetting(user)}
                    aria-label={`Set password of ${user.username}`}
                  >
                    Set password
                  </Button>
                  <Button
                    variant="outline"
                    size="sm"
                    onClick={() => setRetaining(user)}
                    aria-label={`Retention of ${user.username}`}
                  >
                    Retention
                  </Button>
                  {user.id !== session.user.id && (
                    <ConfirmButton
                      label={`${user.disabled ? 'Enable' : 'Disable'} ${user.username}`}
                      // Enabling takes nothing away; disabling ends their sessions at once.
                      confirm={
                        user.disabled
                          ? undefined
                          : {
                              title: `Disable ${user.username}?`,
                              description:
                                'Their sessions end and their API tokens stop working at once; they cannot sign in until an admin enables them again.',
                              action: 'Disable user',
                            }
                      }
                      onConfirm={() => setDisabled.mutate({ userId: user.id, disabled: !user.disabled })}
                      pending={setDisabled.isPending}
                    >
                      {user.disabled ? 'Enable' : 'Disable'}
                    </ConfirmButton>
                  )}
                </div>
              ),
            },
          ]}
          rows={users.data}
          rowKey={(user) => user.id}
        />
      )}
    </>
  );
}

export default UsersPage;
