import type { Metadata } from 'next';
import { Suspense } from 'react';
import { pageTitle } from '@/lib/page-title';
import { SignInForms } from './sign-in-forms';

export const metadata: Metadata = { title: pageTitle('Sign in') };

export default function SignInPage() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 p-6">
      <div>
        <h1 className="text-2xl font-semibold">Sign in to Ricochet</h1>
        <p className="text-sm text-muted-foreground">With your username and password, or an API token.</p>
      </div>
      <Suspense>
        <SignInForms />
      </Suspense>
    </main>
  );
}
