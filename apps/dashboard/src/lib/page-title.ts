import type { Metadata } from 'next';

/**
 * A page's title, `<page> · Ricochet`, given whole on each page: a title template does not reach
 * through a layout that has a title of its own. In the portal, BrandStyle swaps the product name in.
 */
export function pageTitle(page: string): NonNullable<Metadata['title']> {
  return { absolute: `${page} · Ricochet` };
}

/** A route segment as people read it (percent-decoded when it decodes). */
export function readableSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
