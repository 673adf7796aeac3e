'use client';

import type { SessionInfo } from '@ricochet/schema';
import { useQuery } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { createContext, useContext, useEffect } from 'react';
import { QueryError } from '@/components/page';
import { endPortalSession, portalSessionToken } from '@/lib/portal';
import { setCsrfToken, useTRPC } from '@/lib/trpc';

const SessionContext = createContext<SessionInfo | null>(null);

/** The signed-in session; only inside <RequireSession>. */
export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <RequireSession>');
  return session;
}

/** Renders its children once someone is signed in; sends everyone else to the sign-in page. */
export function RequireSession({
  children,
  fallback,
}: {
  children: React.ReactNode;
  fallback: React.ReactNode;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const session = useQuery(trpc.auth.session.queryOptions(undefined, { staleTime: 60_000 }));
  useEffect(() => {
    if (session.data) setCsrfToken(session.data.csrfToken);
    if (session.data === null) {
      // A portal session that ended (expired, or its user disabled) has no sign-in page to go to.
      if (portalSessionToken()) {
        endPortalSession();
        router.replace('/portal');
      } else router.replace(`/sign-in?next=${encodeURIComponent(pathname)}`);
    }
  }, [session.data, router, pathname]);
  if (session.error) {
    return (
      <main className="mx-auto max-w-md p-6">
        <QueryError error={session.error} retry={() => session.refetch()} what="session" />
      </main>
    );
  }
  if (!session.data) return fallback;
  return <SessionContext.Provider value={session.data}>{children}</SessionContext.Provider>;
}
