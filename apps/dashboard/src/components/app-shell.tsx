'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { LogOutIcon, MenuIcon } from 'lucide-react';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useState } from 'react';
import { BrandMark, BrandStyle, ReportHeightToParent, useBranding } from '@/components/branding';
import { RequireSession, useSession } from '@/components/session';
import { ThemeToggle } from '@/components/theme-toggle';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { ROUTES, routeOf } from '@/lib/routes';
import { setCsrfToken, useTRPC } from '@/lib/trpc';
import { cn } from '@/lib/utils';

/** The navigation's pages, from the route table; each shows only when the session has its capability. */
const NAV = ROUTES.flatMap((route) =>
  route.nav ? [{ href: route.path, label: route.nav, capability: route.capability }] : [],
);

function Nav({ onNavigate }: { onNavigate?: () => void }) {
  const session = useSession();
  const pathname = usePathname();
  const current = NAV.filter((item) => pathname === item.href || pathname.startsWith(`${item.href}/`)).sort(
    (a, b) => b.href.length - a.href.length,
  )[0]?.href;
  return (
    <ul className="flex flex-col gap-1 md:flex-row md:items-center">
      {NAV.filter((item) => session.capabilities.includes(item.capability)).map((item) => (
        <li key={item.href}>
          <Link
            href={item.href}
            onClick={onNavigate}
            aria-current={current === item.href ? 'page' : undefined}
            className={cn(
              'block rounded-md px-3 py-2 text-sm font-medium text-muted-foreground hover:bg-accent hover:text-accent-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none',
              current === item.href && 'bg-accent text-accent-foreground',
            )}
          >
            {item.label}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function SignOutButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSuccess: () => {
        setCsrfToken(null);
        queryClient.clear();
        router.replace('/sign-in');
      },
    }),
  );
  return (
    <Button variant="ghost" size="sm" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
      <LogOutIcon aria-hidden="true" />
      Sign out
    </Button>
  );
}

function Header() {
  const session = useSession();
  const portal = session.mode === 'PORTAL';
  const branding = useBranding(session.branding);
  const [open, setOpen] = useState(false);
  return (
    <header className="sticky top-0 z-40 border-b bg-background/95 backdrop-blur">
      <BrandStyle branding={branding} applyTheme={portal} />
      <div className="mx-auto flex h-14 max-w-7xl items-center gap-4 px-4">
        <Link href="/webhooks" className="flex items-center gap-2 font-semibold">
          <BrandMark branding={branding} />
        </Link>
        <nav aria-label="Main" className="hidden flex-1 md:block">
          <Nav />
        </nav>
        <div className="ml-auto flex items-center gap-1">
          <span className="hidden text-sm text-muted-foreground sm:inline" title="Signed in as">
            {session.user.username}
            {session.scope === 'READ_ONLY' && ' (read-only)'}
          </span>
          {/* The portal's look is the team's brand, and its session is the team's app's to end. */}
          {!(portal && branding.theme !== 'system') && <ThemeToggle />}
          {!portal && <SignOutButton />}
          <Button
            variant="ghost"
            size="icon"
            className="md:hidden"
            aria-label="Menu"
            aria-expanded={open}
            aria-controls="mobile-nav"
            onClick={() => setOpen((value) => !value)}
          >
            <MenuIcon />
          </Button>
        </div>
      </div>
      {open && (
        <nav id="mobile-nav" aria-label="Main" className="border-t px-4 py-2 md:hidden">
          <Nav onNavigate={() => setOpen(false)} />
        </nav>
      )}
    </header>
  );
}

function ShellSkeleton() {
  return (
    <div>
      <div className="h-14 border-b" />
      <div className="mx-auto max-w-7xl space-y-4 p-4">
        <Skeleton className="h-8 w-48" />
        <Skeleton className="h-64 w-full" />
      </div>
    </div>
  );
}

export function AppShell({ children }: { children: React.ReactNode }) {
  return (
    <RequireSession fallback={<ShellSkeleton />}>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-background focus:px-3 focus:py-2 focus:ring-2 focus:ring-ring"
      >
        Skip to content
      </a>
      <div id="app-content">
        <Header />
        <main id="main" className="mx-auto max-w-7xl px-4 py-6">
          <RouteGuard>{children}</RouteGuard>
        </main>
      </div>
      <PortalFrame />
    </RequireSession>
  );
}

/** In portal mode inside an iframe, keeps the embedding page informed of the content's height. */
function PortalFrame() {
  const session = useSession();
  return session.mode === 'PORTAL' ? <ReportHeightToParent targetId="app-content" /> : null;
}

/**
 * The page, when the session has the capability its route needs (lib/routes.ts); otherwise a notice.
 * The server refuses the page's calls anyway: this only spares the session a page of errors.
 */
function RouteGuard({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const route = routeOf(usePathname());
  if (route && !session.capabilities.includes(route.capability)) {
    return (
      <div className="py-16 text-center">
        <h1 className="text-xl font-semibold">Not available</h1>
        <p className="text-muted-foreground">This page is not available in this session.</p>
      </div>
    );
  }
  return children;
}
