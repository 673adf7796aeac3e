import type { Metadata } from 'next';
import { pageTitle, readableSegment } from '@/lib/page-title';

// The page is a client component; its title (with the record's id) is set here, on the server.
export async function generateMetadata({
  params,
}: {
  params: Promise<{ eventId: string }>;
}): Promise<Metadata> {
  return { title: pageTitle(`Event ${readableSegment((await params).eventId)}`) };
}

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
