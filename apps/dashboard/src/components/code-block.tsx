import type * as React from 'react';
import { cn } from '@/lib/utils';

/** Preformatted text that may scroll: focusable and labelled, so keyboard users can scroll it too. */
export function CodeBlock({ label, className, ...props }: React.ComponentProps<'pre'> & { label: string }) {
  return (
    <section
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
      tabIndex={0}
      aria-label={label}
      className={cn(
        'overflow-auto rounded-md bg-muted text-xs whitespace-pre focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none',
        className,
      )}
    >
      <pre className="p-3 [white-space:inherit]" {...props} />
    </section>
  );
}
