'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { AlertEmailAddressSchema } from '@ricochet/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { CreateFormCard } from '@/components/create-form-card';
import { Field } from '@/components/field';
import { Input } from '@/components/ui/input';
import { useTRPC } from '@/lib/trpc';

/** The address typed in: empty is "no alert e-mails" (null), anything else the API's own rule. */
const AlertEmailFormSchema = z.object({
  alertEmail: z
    .string()
    .trim()
    .transform((text) => (text === '' ? null : text))
    .pipe(AlertEmailAddressSchema.nullable()),
});

/** Where the signed-in user is told by e-mail that one of their webhooks is failing or disabled. */
export function AlertEmailCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.users.me.queryOptions());
  const form = useForm<z.input<typeof AlertEmailFormSchema>, unknown, z.output<typeof AlertEmailFormSchema>>({
    resolver: zodResolver(AlertEmailFormSchema),
    defaultValues: { alertEmail: '' },
  });
  const saved = me.data?.alertEmail;
  useEffect(() => {
    if (saved !== undefined) form.reset({ alertEmail: saved ?? '' });
  }, [saved, form]);
  const save = useMutation(
    trpc.users.setAlertEmail.mutationOptions({
      onSuccess: (user) => {
        toast.success(user.alertEmail ? `Alerts go to ${user.alertEmail}` : 'Alert e-mails off');
        void queryClient.invalidateQueries({ queryKey: trpc.users.me.queryKey() });
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  return (
    <CreateFormCard
      title="Alert e-mails"
      columns="sm:grid-cols-[minmax(0,24rem)_auto] sm:justify-start"
      onSubmit={form.handleSubmit((values) => save.mutate(values))}
      submitLabel="Save"
      pending={save.isPending}
    >
      <Field
        label="Tell this address when a webhook is failing or disabled"
        hint="Empty: no e-mails. Sent when the installation has an SMTP server configured."
        error={form.formState.errors.alertEmail?.message}
      >
        {(props) => (
          <Input
            type="email"
            autoComplete="email"
            placeholder="you@example.com"
            data-testid="alert-email"
            // Until the saved address is read: what is typed meanwhile would be replaced by it.
            disabled={me.data === undefined}
            {...props}
            {...form.register('alertEmail')}
          />
        )}
      </Field>
    </CreateFormCard>
  );
}
