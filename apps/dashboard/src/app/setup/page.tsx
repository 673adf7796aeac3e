import type { Metadata } from 'next';
import { pageTitle } from '@/lib/page-title';
import { SetupForm } from './setup-form';

export const metadata: Metadata = { title: pageTitle('Set up') };

export default function SetupPage() {
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 p-6">
      <SetupForm />
    </main>
  );
}
