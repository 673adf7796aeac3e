import { RenderedRequestSchema, RequestPreviewInputSchema } from '@ricochet/schema';
import { previewRequest as preview } from '../../services/webhook-tests.ts';
import { defineOperation } from '../operation.ts';

export const previewRequest = defineOperation({
  summary: "The request a webhook form's templates would send for an event (nothing is sent)",
  access: 'read',
  procedure: 'query',
  input: RequestPreviewInputSchema,
  output: RenderedRequestSchema,
  run: ({ principal, config }, input) =>
    preview({ userId: principal.userId, input, requestOrigin: config.RICOCHET_REQUEST_ORIGIN }),
});
