'use client';

import { installReadableZodErrors } from '@ricochet/schema';
import { ThemeProvider } from 'next-themes';
import { Toaster } from 'sonner';
import { TrpcReactProvider } from '@/lib/trpc';

// The forms validate with the API's own schemas: their messages read as the API's do.
installReadableZodErrors();

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
