import { z } from 'zod';

/** Light, dark, or the viewer's system setting. */
export const BrandThemeSchema = z.enum(['light', 'dark', 'system']).meta({ id: 'BrandTheme' });

/** CSS hex colour of buttons, links and focus rings. */
export const AccentColorSchema = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a hex colour like #4f46e5');
/** An http(s) URL of an image shown beside the product name. */
export const LogoUrlSchema = z.url({ protocol: /^https?$/ }).max(2000);

/** How the dashboard (and above all the customer portal) looks: set per installation, overridable per portal session. */
export const BrandingSchema = z
  .object({
    productName: z.string().trim().min(1).max(60),
    logoUrl: LogoUrlSchema.nullable(),
    accentColor: AccentColorSchema.nullable(),
    theme: BrandThemeSchema,
  })
  .meta({ id: 'Branding' });
export type Branding = z.infer<typeof BrandingSchema>;

/** A portal session's branding: any fields it sets replace the installation's. */
export const BrandingOverrideSchema = BrandingSchema.partial().meta({ id: 'BrandingOverride' });
export type BrandingOverride = z.infer<typeof BrandingOverrideSchema>;

export const DEFAULT_BRANDING: Branding = {
  productName: 'Ricochet',
  logoUrl: null,
  accentColor: null,
  theme: 'system',
};

/** The installation's branding with a session's overrides on top. */
export function mergeBranding(
  installation: Branding,
  override: BrandingOverride | null | undefined,
): Branding {
  return {
    ...installation,
    ...Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== undefined)),
  };
}
