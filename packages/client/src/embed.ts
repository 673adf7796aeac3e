import { PORTAL_RESIZE_MESSAGE } from '@ricochet/schema/embed';

export type EmbedPortalOptions = {
  /** The single-use URL of `users.createPortalSession` (made by your backend with an admin token). */
  url: string;
  /** Where the iframe goes. */
  container: HTMLElement;
  /** The iframe's accessible name. */
  title?: string;
  /** Height before the portal reports its own (px). */
  initialHeight?: number;
  /** Called with each height the portal reports, after the iframe took it. */
  onResize?: (height: number) => void;
};

export type EmbeddedPortal = {
  iframe: HTMLIFrameElement;
  /** Removes the iframe and stops listening. */
  destroy(): void;
};

/**
 * Embeds the Ricochet customer portal in your page and keeps the iframe as tall as the portal's
 * content. The portal posts its height to this window; a message counts only when it comes from the
 * portal's origin AND from this iframe's window, so no other frame can resize it. Your page's origin
 * must be in the dashboard's RICOCHET_PORTAL_FRAME_ANCESTORS, or the browser refuses to show it.
 */
export function embedPortal(options: EmbedPortalOptions): EmbeddedPortal {
  const url = new URL(options.url);
  const portalOrigin = url.origin;
  // The portal posts its height to this origin only (it reads it from the fragment, which never
  // leaves the browser, like the link's token beside it).
  url.hash = `${url.hash.replace(/^#/, '')}&parentOrigin=${encodeURIComponent(window.location.origin)}`;
  const iframe = document.createElement('iframe');
  iframe.src = url.toString();
  iframe.title = options.title ?? 'Webhooks';
  iframe.style.width = '100%';
  iframe.style.border = '0';
  iframe.style.display = 'block';
  iframe.style.height = `${options.initialHeight ?? 600}px`;

  const onMessage = (event: MessageEvent) => {
    if (event.origin !== portalOrigin || event.source !== iframe.contentWindow) return;
    const data = event.data as { type?: unknown; height?: unknown } | null;
    if (data?.type !== PORTAL_RESIZE_MESSAGE || typeof data.height !== 'number') return;
    if (!Number.isFinite(data.height) || data.height < 0) return;
    const height = Math.ceil(Math.min(data.height, 100_000));
    iframe.style.height = `${height}px`;
    options.onResize?.(height);
  };
  window.addEventListener('message', onMessage);
  options.container.appendChild(iframe);
  return {
    iframe,
    destroy() {
      window.removeEventListener('message', onMessage);
      iframe.remove();
    },
  };
}
