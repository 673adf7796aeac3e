/**
 * What the embedded customer portal says to the page that embeds it, with no zod in it, so that
 * `@ricochet/schema/embed` (imported by the SDK's embed script) stays a few bytes in a page.
 */

/** The message the portal posts to its parent window when its content changes height. */
export const PORTAL_RESIZE_MESSAGE = 'ricochet:portal-resize';

export type PortalResizeMessage = { type: typeof PORTAL_RESIZE_MESSAGE; height: number };
