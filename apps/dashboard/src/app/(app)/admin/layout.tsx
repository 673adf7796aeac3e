import type { Metadata } from 'next';
import { pageTitle } from '@/lib/page-title';

// The page is a client component; its title is set here, on the server, so it is there from the first byte.
export const metadata: Metadata = { title: pageTitle('Overview') };

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
