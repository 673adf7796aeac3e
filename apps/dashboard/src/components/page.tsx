'use client';

import { AlertTriangleIcon } from 'lucide-react';
import Link from 'next/link';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { errorTypeOf } from '@/lib/trpc';

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: React.ReactNode;
  description?: React.ReactNode;
  actions?: React.ReactNode;
}) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
      <div className="min-w-0">
        <h1 className="truncate text-2xl font-semibold tracking-tight">{title}</h1>
        {description && <div className="mt-1 text-sm text-muted-foreground">{description}</div>}
      </div>
      {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
    </div>
  );
}

/** A failed query: "not found" for missing (or someone else's) records, otherwise the message and a retry. */
export function QueryError({
  error,
  retry,
  what = 'record',
}: {
  error: unknown;
  retry?: () => void;
  what?: string;
}) {
  if (errorTypeOf(error) === 'record-not-found') {
    return (
      <div className="py-16 text-center">
        <h1 className="text-xl font-semibold">Not found</h1>
        <p className="mb-4 text-muted-foreground">This {what} does not exist, or it is not yours.</p>
        <Button asChild variant="outline">
          <Link href="/webhooks">Back to webhooks</Link>
        </Button>
      </div>
    );
  }
  return (
    <Alert variant="destructive">
      <AlertTriangleIcon className="size-4" aria-hidden="true" />
      <AlertTitle>Could not load this {what}</AlertTitle>
      <AlertDescription>
        {error instanceof Error ? error.message : String(error)}
        {retry && (
          <Button variant="outline" size="sm" className="mt-2 w-fit" onClick={retry}>
            Try again
          </Button>
        )}
      </AlertDescription>
    </Alert>
  );
}
