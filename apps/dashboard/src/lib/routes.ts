import type { Capability } from '@ricochet/schema';
import type { Metadata } from 'next';
import { pageTitle } from '@/lib/page-title';

/**
 * One page of the dashboard: its path (a `[segment]` stands for any one segment, as in app/), its
 * title, the capability a session needs to see it (a portal session lacks some), and, for the
 * pages the navigation lists, their label there.
 */
export type DashboardRoute = { path: string; title: string; capability: Capability; nav?: string };

/**
 * Every page behind a session, in the navigation's order. This table drives the navigation, the
 * capability guard (AppShell shows "Not available" instead of a page the session may not see) and
 * the pages' titles (routeMetadata); a new page is one row here and its folder under app/(app)/.
 */
export const ROUTES: DashboardRoute[] = [
  { path: '/webhooks', title: 'Webhooks', capability: 'webhooks', nav: 'Webhooks' },
  { path: '/webhooks/new', title: 'New webhook', capability: 'webhooks' },
  { path: '/webhooks/[webhookId]', title: 'Webhook', capability: 'webhooks' },
  { path: '/webhooks/[webhookId]/edit', title: 'Edit webhook', capability: 'webhooks' },
  { path: '/events', title: 'Events', capability: 'events', nav: 'Events' },
  { path: '/events/[eventId]', title: 'Event', capability: 'events' },
  { path: '/dispatches', title: 'Dispatches', capability: 'webhooks', nav: 'Dispatches' },
  { path: '/dispatches/[dispatchId]', title: 'Dispatch', capability: 'webhooks' },
  { path: '/event-types', title: 'Event types', capability: 'eventTypes', nav: 'Event types' },
  { path: '/tokens', title: 'API tokens', capability: 'tokens', nav: 'API tokens' },
  { path: '/admin', title: 'Overview', capability: 'admin', nav: 'Overview' },
  { path: '/admin/users', title: 'Users', capability: 'admin', nav: 'Users' },
];

const PATTERNS = ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\[[^\]]+\]/g, '[^/]+')}$`),
}));

/** The page a pathname shows: its own row, else the nearest row above it. */
export function routeOf(pathname: string): DashboardRoute | undefined {
  const path = pathname.replace(/\/+$/, '') || '/';
  for (let prefix = path; prefix !== ''; prefix = prefix.slice(0, prefix.lastIndexOf('/'))) {
    const found = PATTERNS.find(({ pattern }) => pattern.test(prefix));
    if (found) return found.route;
  }
  return undefined;
}

/** A static page's metadata (its title) from the table, for its layout.tsx. */
export function routeMetadata(path: string): Metadata {
  const route = ROUTES.find((candidate) => candidate.path === path);
  if (!route) throw new Error(`No dashboard route ${path} in lib/routes.ts`);
  return { title: pageTitle(route.title) };
}
