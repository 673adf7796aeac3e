'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { ChoosePasswordFormSchema } from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import { Field } from '@/components/field';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { setCsrfToken, useTRPC } from '@/lib/trpc';

type ChoosePassword = z.input<typeof ChoosePasswordFormSchema>;

/** The first admin's page: the link's token is in the URL fragment (never sent to any server log). */
export function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => {
    setToken(new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '');
  }, []);
  const link = useQuery(
    trpc.auth.setupLink.queryOptions({ token: token ?? '' }, { enabled: Boolean(token) }),
  );
  const complete = useMutation(
    trpc.auth.completeSetup.mutationOptions({
      onSuccess: (session) => {
        setCsrfToken(session.csrfToken);
        queryClient.setQueryData(trpc.auth.session.queryKey(), session);
        // The fragment held a now-used secret; drop it from the address bar and history.
        window.history.replaceState(null, '', '/setup');
        router.replace('/webhooks');
      },
    }),
  );
  const form = useForm<ChoosePassword>({
    resolver: zodResolver(ChoosePasswordFormSchema),
    defaultValues: { password: '', confirm: '' },
  });

  if (token === null || (token && link.isPending)) {
    return <Skeleton className="h-72 w-full" />;
  }
  if (!token || link.error) {
    return (
      <div className="grid gap-4">
        <h1 className="text-2xl font-semibold">Setup link not valid</h1>
        <Alert variant="destructive">
          {link.error?.message ?? 'This page needs the setup link that Ricochet printed when it started.'}
        </Alert>
        <Button asChild variant="outline">
          <Link href="/sign-in">Go to sign in</Link>
        </Button>
      </div>
    );
  }
  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold">Welcome to Ricochet</h1>
        <p className="text-sm text-muted-foreground">
          Choose a password for <strong className="text-foreground">{link.data?.username}</strong>, the first
          administrator. You will use it to sign in from now on.
        </p>
      </div>
      {complete.error && <Alert variant="destructive">{complete.error.message}</Alert>}
      <form
        className="grid gap-4"
        noValidate
        onSubmit={form.handleSubmit(({ password }) => complete.mutate({ token, password }))}
      >
        <input type="text" autoComplete="username" value={link.data?.username ?? ''} readOnly hidden />
        <Field
          label="New password"
          hint="At least 10 characters."
          error={form.formState.errors.password?.message}
        >
          {(props) => (
            <Input type="password" autoComplete="new-password" {...props} {...form.register('password')} />
          )}
        </Field>
        <Field label="Repeat the password" error={form.formState.errors.confirm?.message}>
          {(props) => (
            <Input type="password" autoComplete="new-password" {...props} {...form.register('confirm')} />
          )}
        </Field>
        <Button type="submit" disabled={complete.isPending}>
          Set password and continue
        </Button>
      </form>
    </div>
  );
}
