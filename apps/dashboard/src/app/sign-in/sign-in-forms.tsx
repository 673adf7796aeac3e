'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import {
  type SignInInput,
  SignInInputSchema,
  type SignInWithTokenInput,
  SignInWithTokenInputSchema,
} from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { Field } from '@/components/field';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { safeNext } from '@/lib/safe-next';
import { setCsrfToken, useTRPC } from '@/lib/trpc';

export function SignInForms() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const nextParam = useSearchParams().get('next');
  // Only a path of this origin, so the sign-in page cannot bounce anyone elsewhere (see safeNext).
  const goOn = useCallback(
    () => router.replace(safeNext(nextParam, window.location.origin)),
    [router, nextParam],
  );
  const [withToken, setWithToken] = useState(false);
  // Already signed in: straight on.
  const current = useQuery(trpc.auth.session.queryOptions());
  useEffect(() => {
    if (current.data) goOn();
  }, [current.data, goOn]);
  const onSuccess = (session: { csrfToken: string }) => {
    setCsrfToken(session.csrfToken);
    queryClient.setQueryData(trpc.auth.session.queryKey(), session as never);
    goOn();
  };
  const signIn = useMutation(trpc.auth.signIn.mutationOptions({ onSuccess }));
  const signInWithToken = useMutation(trpc.auth.signInWithToken.mutationOptions({ onSuccess }));
  const password = useForm<SignInInput>({
    resolver: zodResolver(SignInInputSchema),
    defaultValues: { username: '', password: '' },
  });
  const token = useForm<SignInWithTokenInput>({
    resolver: zodResolver(SignInWithTokenInputSchema),
    defaultValues: { token: '' },
  });
  const failure = withToken ? signInWithToken.error : signIn.error;

  return (
    <div className="grid gap-4">
      {failure && <Alert variant="destructive">{failure.message}</Alert>}
      {withToken ? (
        <form
          className="grid gap-4"
          noValidate
          onSubmit={token.handleSubmit((values) => signInWithToken.mutate(values))}
        >
          <Field label="API token" error={token.formState.errors.token?.message}>
            {(props) => <Input type="password" autoComplete="off" {...props} {...token.register('token')} />}
          </Field>
          <Button type="submit" disabled={signInWithToken.isPending}>
            Sign in with token
          </Button>
        </form>
      ) : (
        <form
          className="grid gap-4"
          noValidate
          onSubmit={password.handleSubmit((values) => signIn.mutate(values))}
        >
          <Field label="Username" error={password.formState.errors.username?.message}>
            {(props) => (
              <Input
                autoComplete="username"
                autoCapitalize="none"
                {...props}
                {...password.register('username')}
              />
            )}
          </Field>
          <Field label="Password" error={password.formState.errors.password?.message}>
            {(props) => (
              <Input
                type="password"
                autoComplete="current-password"
                {...props}
                {...password.register('password')}
              />
            )}
          </Field>
          <Button type="submit" disabled={signIn.isPending}>
            Sign in
          </Button>
        </form>
      )}
      <Button variant="link" className="justify-self-center" onClick={() => setWithToken((value) => !value)}>
        {withToken ? 'Sign in with a password instead' : 'Sign in with an API token instead'}
      </Button>
    </div>
  );
}
