'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { toast } from 'sonner';
import { CopyButton } from '@/components/copy-button';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Label } from '@/components/ui/label';
import { NativeSelect } from '@/components/ui/native-select';
import { formatDateTime } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

const GRACE_PERIODS = [
  ['0', 'immediately'],
  ['3600', 'after 1 hour'],
  ['86400', 'after 1 day'],
  ['604800', 'after 7 days'],
] as const;

/** The signing secret: hidden until asked for, copyable, rotated with a grace period for the old one. */
export function SecretPanel({ webhookId, canWrite }: { webhookId: string; canWrite: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [shown, setShown] = useState(false);
  const [grace, setGrace] = useState('86400');
  const secrets = useQuery(trpc.webhooks.secrets.queryOptions({ webhookId }, { enabled: shown && canWrite }));
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.webhooks.secrets.queryKey({ webhookId }), data);
        setShown(true);
        toast.success('Secret rotated');
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  return (
    <Card>
      <CardHeader>
        <CardTitle>Signing secret</CardTitle>
        <CardDescription>
          Receivers verify the webhook-signature header with it (Standard Webhooks).
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        {!canWrite ? (
          <p className="text-sm text-muted-foreground">A read-only session cannot see secrets.</p>
        ) : !shown ? (
          <Button variant="outline" className="w-fit" onClick={() => setShown(true)}>
            Show secret
          </Button>
        ) : (
          <ul className="grid gap-2">
            {secrets.data?.secrets.map((secret) => (
              <li key={secret.secret} className="grid gap-1">
                <div className="flex items-center gap-2">
                  <code className="min-w-0 flex-1 truncate rounded bg-muted px-2 py-1 text-xs">
                    {secret.secret}
                  </code>
                  <CopyButton value={secret.secret} />
                </div>
                <span className="text-xs text-muted-foreground">
                  {secret.expiresAt
                    ? `Old secret, stops signing ${formatDateTime(secret.expiresAt)}`
                    : 'Current secret'}
                </span>
              </li>
            )) ?? <li className="h-8" />}
          </ul>
        )}
        {canWrite && (
          <div className="flex flex-wrap items-end gap-2">
            <div className="grid gap-1.5">
              <Label htmlFor="grace">Old secret stops signing</Label>
              <NativeSelect id="grace" value={grace} onChange={(event) => setGrace(event.target.value)}>
                {GRACE_PERIODS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </NativeSelect>
            </div>
            <Button
              variant="outline"
              disabled={rotate.isPending}
              onClick={() => rotate.mutate({ webhookId, data: { gracePeriodSeconds: Number(grace) } })}
            >
              Rotate secret
            </Button>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
