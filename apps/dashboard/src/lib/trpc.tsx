'use client';

import { CSRF_HEADER, SESSION_HEADER, TRPC_MAX_BATCH_SIZE } from '@ricochet/schema';
import type { AppRouter } from '@ricochet/server/trpc';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { endPortalSession, portalSessionToken } from './portal';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

// The signed-in session's CSRF token, sent with every change. Before sign-in any value will do:
// the API then only checks that the custom header is present (a cross-site form cannot add it).
let csrfToken = 'sign-in';
export function setCsrfToken(token: string | null) {
  csrfToken = token ?? 'sign-in';
}

/** The error type the API names (`record-not-found`, `token-not-valid`, ...), when there is one. */
export function errorTypeOf(error: unknown): string | undefined {
  if (error instanceof TRPCClientError) return (error.data as { type?: string } | undefined)?.type;
  return undefined;
}

/** A session that ended (expired, signed out elsewhere, user disabled) sends the person to sign in again. */
function onApiError(error: unknown) {
  if (errorTypeOf(error) !== 'token-not-valid') return;
  const { pathname } = window.location;
  if (pathname === '/sign-in' || pathname === '/setup' || pathname === '/portal') return;
  // A portal session has no sign-in page: the portal page says the session ended.
  if (portalSessionToken()) {
    endPortalSession();
    window.location.assign('/portal');
    return;
  }
  window.location.assign(`/sign-in?next=${encodeURIComponent(pathname)}`);
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: onApiError }),
    mutationCache: new MutationCache({ onError: onApiError }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // A 4xx will not change by asking again; anything else gets one more try.
        retry: (failures, error) => {
          const type = errorTypeOf(error);
          return failures < 1 && (type === undefined || type === 'internal-server-error');
        },
      },
    },
  });
}

export function TrpcReactProvider({ children }: { children: React.ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: '/trpc',
          // The API refuses larger batches (every procedure of one counts against the rate limit).
          maxItems: TRPC_MAX_BATCH_SIZE,
          headers: () => {
            const portalToken = portalSessionToken();
            return { [CSRF_HEADER]: csrfToken, ...(portalToken && { [SESSION_HEADER]: portalToken }) };
          },
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
