import { BrandingSchema } from '@ricochet/schema';
import { installationBranding } from '../../services/portal-sessions.ts';
import { defineOperation } from '../operation.ts';

export const branding = defineOperation({
  summary: "The installation's branding, shown before anyone signs in",
  access: 'public',
  procedure: 'query',
  output: BrandingSchema,
  run: ({ config }) => installationBranding(config),
});
