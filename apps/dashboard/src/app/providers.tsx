'use client';

import { ThemeProvider } from 'next-themes';
import { Toaster } from 'sonner';
import { TrpcReactProvider } from '@/lib/trpc';

export function Providers({ children }: { children: React.ReactNode }) {
  return (
    <ThemeProvider attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange>
      <TrpcReactProvider>
        {children}
        <Toaster closeButton position="bottom-right" />
      </TrpcReactProvider>
    </ThemeProvider>
  );
}
