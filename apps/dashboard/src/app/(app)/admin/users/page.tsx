'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import {
  type CreateUserAccountInput,
  CreateUserAccountInputSchema,
  PasswordSchema,
  type UserAccount,
} from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { RequireCapability } from '@/components/app-shell';
import { Field } from '@/components/field';
import { PageHeader, QueryError } from '@/components/page';
import { useSession } from '@/components/session';
import { LoadingRows } from '@/components/table-states';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Checkbox } from '@/components/ui/checkbox';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { formatRelative } from '@/lib/format';
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

function UsersPage() {
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.admin.users.queryOptions());
  const [resetting, setResetting] = useState<UserAccount | null>(null);
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
      <Card className="mb-6">
        <CardHeader>
          <CardTitle>Create a user</CardTitle>
        </CardHeader>
        <CardContent>
          <form
            noValidate
            className="grid items-start gap-3 sm:grid-cols-[1fr_1fr_auto_auto]"
            onSubmit={form.handleSubmit((values) => create.mutate(values))}
          >
            <Field label="Username" error={form.formState.errors.username?.message ?? create.error?.message}>
              {(props) => <Input autoComplete="off" {...props} {...form.register('username')} />}
            </Field>
            <Field label="First password" error={form.formState.errors.password?.message}>
              {(props) => (
                <Input
                  type="password"
                  autoComplete="new-password"
                  {...props}
                  {...form.register('password')}
                />
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
            <Button type="submit" className="sm:mt-5.5" disabled={create.isPending}>
              Create user
            </Button>
          </form>
        </CardContent>
      </Card>
      <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />
      {users.error ? (
        <QueryError error={users.error} retry={() => users.refetch()} what="users" />
      ) : (
        <div className="rounded-lg border">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Username</TableHead>
                <TableHead>Role</TableHead>
                <TableHead>Status</TableHead>
                <TableHead>Created</TableHead>
                <TableHead>
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {!users.data ? (
                <LoadingRows columns={5} />
              ) : (
                users.data.map((user) => (
                  <TableRow key={user.id} className="h-12">
                    <TableCell className="font-medium">{user.username}</TableCell>
                    <TableCell>
                      {user.isAdmin ? <Badge>Admin</Badge> : <Badge variant="secondary">User</Badge>}
                    </TableCell>
                    <TableCell>
                      {user.disabled ? (
                        <Badge variant="destructive">Disabled</Badge>
                      ) : user.hasPassword ? (
                        <Badge variant="success">Active</Badge>
                      ) : (
                        <Badge variant="outline">No password (API only)</Badge>
                      )}
                    </TableCell>
                    <TableCell>{formatRelative(user.createdAt)}</TableCell>
                    <TableCell className="space-x-2 text-right whitespace-nowrap">
                      <Button
                        variant="outline"
                        size="sm"
                        onClick={() => setResetting(user)}
                        aria-label={`Set password of ${user.username}`}
                      >
                        Set password
                      </Button>
                      {user.id !== session.user.id && (
                        <Button
                          variant="outline"
                          size="sm"
                          disabled={setDisabled.isPending}
                          onClick={() => setDisabled.mutate({ userId: user.id, disabled: !user.disabled })}
                          aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.username}`}
                        >
                          {user.disabled ? 'Enable' : 'Disable'}
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
    <RequireCapability capability="admin">
      <UsersPage />
    </RequireCapability>
  );
}
