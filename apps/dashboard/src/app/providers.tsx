'use client';

import { installReadableZodErrors } from '@ricochet/schema';
import { ThemeProvider } from 'next-themes';
import { Toaster } from 'sonner';
import { TrpcReactProvider } from '@/lib/trpc';

// The forms validate with the API's own schemas: their messages read as the API's do.
installReadableZodErrors();

export function Providers({ children, nonce }: { children: React.ReactNode; nonce?: string | undefined }) {
  return (
    // next-themes sets the theme with an inline script before the page paints: it needs the nonce.
    <ThemeProvider
      attribute="class"
      defaultTheme="system"
      enableSystem
      disableTransitionOnChange
      nonce={nonce}
    >
      <TrpcReactProvider>
        {children}
        <Toaster closeButton position="bottom-right" />
      </TrpcReactProvider>
    </ThemeProvider>
  );
}
