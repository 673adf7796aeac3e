'use client';

import {
  type Branding,
  type BrandingOverride,
  DEFAULT_BRANDING,
  mergeBranding,
  PORTAL_RESIZE_MESSAGE,
  type PortalResizeMessage,
} from '@ricochet/schema';
import { useQuery } from '@tanstack/react-query';
import { ZapIcon } from 'lucide-react';
import { useTheme } from 'next-themes';
import { useEffect } from 'react';
import { portalParentOrigin } from '@/lib/portal';
import { useTRPC } from '@/lib/trpc';

/** The installation's branding (RICOCHET_BRAND_* on the API) with a portal session's overrides on top. */
export function useBranding(override?: BrandingOverride | null): Branding {
  const trpc = useTRPC();
  const installation = useQuery(
    trpc.auth.branding.queryOptions(undefined, { staleTime: Number.POSITIVE_INFINITY }),
  );
  return mergeBranding(installation.data ?? DEFAULT_BRANDING, override);
}

/** Black or white, whichever reads better on the accent colour (WCAG relative luminance). */
function foregroundOn(hex: string): string {
  const channel = (offset: number) => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.179 ? '#000000' : '#ffffff';
}

/**
 * Applies a branding to the page: the accent colour becomes the theme's primary colour and focus
 * ring, and (when `applyTheme`, as in the portal) light or dark is the brand's, not the viewer's.
 */
export function BrandStyle({ branding, applyTheme }: { branding: Branding; applyTheme: boolean }) {
  const { setTheme } = useTheme();
  useEffect(() => {
    const root = document.documentElement.style;
    const properties = ['--primary', '--ring', '--primary-foreground'];
    if (branding.accentColor) {
      root.setProperty('--primary', branding.accentColor);
      root.setProperty('--ring', branding.accentColor);
      root.setProperty('--primary-foreground', foregroundOn(branding.accentColor));
    }
    return () => {
      for (const property of properties) root.removeProperty(property);
    };
  }, [branding.accentColor]);
  useEffect(() => {
    if (applyTheme && branding.theme !== 'system') setTheme(branding.theme);
  }, [applyTheme, branding.theme, setTheme]);
  useEffect(() => {
    document.title = document.title.replace(/ · [^·]*$/, ` · ${branding.productName}`);
  }, [branding.productName]);
  return null;
}

/** The product's logo (or Ricochet's mark) and name. */
export function BrandMark({ branding }: { branding: Branding }) {
  return (
    <>
      {branding.logoUrl ? (
        // A logo from anywhere the team chooses: next/image would need its host allow-listed at build time.
        // biome-ignore lint/performance/noImgElement: see above
        <img src={branding.logoUrl} alt="" className="size-6 rounded object-contain" />
      ) : (
        <ZapIcon className="size-5 text-primary" aria-hidden="true" />
      )}
      <span data-testid="brand-name">{branding.productName}</span>
    </>
  );
}

/**
 * In an iframe, tells the embedding page how tall the portal's content is, whenever it changes, so
 * the embed script can size the frame to it (no inner scroll bar). Posted only to the parent origin
 * the embed script named; without one nothing is posted.
 */
export function ReportHeightToParent({ targetId }: { targetId: string }) {
  useEffect(() => {
    const parentOrigin = portalParentOrigin();
    const target = document.getElementById(targetId);
    if (window.parent === window || !parentOrigin || !target) return;
    let last = -1;
    const report = () => {
      const height = Math.ceil(target.getBoundingClientRect().height);
      if (height === last) return;
      last = height;
      const message: PortalResizeMessage = { type: PORTAL_RESIZE_MESSAGE, height };
      window.parent.postMessage(message, parentOrigin);
    };
    const observer = new ResizeObserver(report);
    observer.observe(target);
    report();
    return () => observer.disconnect();
  }, [targetId]);
  return null;
}
