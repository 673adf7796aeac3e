import type { Metadata } from 'next';
import { routeMetadata } from '@/lib/routes';

// The page is a client component; its title (lib/routes.ts) is set here, on the server, so it is there
// from the first byte.
export const metadata: Metadata = routeMetadata('/events');

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
