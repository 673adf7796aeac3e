'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { BrandMark, useBranding } from '@/components/branding';
import { startPortalSession } from '@/lib/portal';
import { setCsrfToken, useTRPC } from '@/lib/trpc';

type State = 'opening' | 'refused' | 'no-link';

/**
 * Where a portal link lands: `/portal#token=...` (the fragment never reaches a server). Trades the
 * single-use token for a portal session, then shows the customer's webhooks. A used, expired or
 * missing link gets an explanation instead.
 */
export default function PortalPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const branding = useBranding();
  const [state, setState] = useState<State>('opening');
  const open = useMutation(trpc.auth.openPortal.mutationOptions());
  const started = useRef(false);

  useEffect(() => {
    // Once per page load: the link works once, so a second attempt would only fail.
    if (started.current) return;
    started.current = true;
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const token = fragment.get('token');
    // The token leaves the address bar and the history at once.
    window.history.replaceState(null, '', '/portal');
    if (!token) {
      setState('no-link');
      return;
    }
    open.mutateAsync({ token }).then(
      ({ session, sessionToken }) => {
        queryClient.clear();
        startPortalSession(sessionToken, fragment.get('parentOrigin'));
        setCsrfToken(session.csrfToken);
        queryClient.setQueryData(trpc.auth.session.queryKey(), session);
        router.replace('/webhooks');
      },
      () => setState('refused'),
    );
  }, [open, queryClient, router, trpc]);

  return (
    <main
      id="main"
      className="mx-auto flex min-h-[60vh] max-w-md flex-col items-center justify-center gap-4 p-6 text-center"
    >
      <div className="flex items-center gap-2 text-lg font-semibold">
        <BrandMark branding={branding} />
      </div>
      {state === 'opening' && (
        <p className="text-muted-foreground" role="status">
          Opening your webhooks…
        </p>
      )}
      {state === 'refused' && (
        <>
          <h1 className="text-xl font-semibold">This link no longer works</h1>
          <p className="text-muted-foreground">
            It was already used or has expired. Open the webhooks page again from {branding.productName} for a
            new one.
          </p>
        </>
      )}
      {state === 'no-link' && (
        <>
          <h1 className="text-xl font-semibold">Your session has ended</h1>
          <p className="text-muted-foreground">Open the webhooks page again from {branding.productName}.</p>
        </>
      )}
    </main>
  );
}
