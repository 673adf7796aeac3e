import { cn } from '@/lib/utils';

/** The characters of the end of a URL that stay visible however narrow the column. */
const TAIL = 18;

/**
 * A URL cut in the middle rather than at its end: webhooks of one customer often share a long
 * prefix (`https://api.example.com/webhooks/...`), and cutting at the end showed the same prefix on
 * every row of a phone's table. The scheme is left out; the host's start and the path's end stay
 * visible, the full URL is in the title (and for screen readers).
 */
export function UrlText({ url, className }: { url: string; className?: string }) {
  const shown = url.replace(/^https?:\/\//, '');
  const cut = shown.length > TAIL * 2 ? shown.length - TAIL : shown.length;
  return (
    <span className={cn('flex min-w-0', className)} title={url}>
      <span className="sr-only">{url}</span>
      <span aria-hidden="true" className="truncate">
        {shown.slice(0, cut)}
      </span>
      {cut < shown.length && (
        <span aria-hidden="true" className="shrink-0 whitespace-pre">
          {shown.slice(cut)}
        </span>
      )}
    </span>
  );
}
