import { RecordIdSchema, RenderedRequestSchema } from '@ricochet/schema';
import { z } from 'zod';
import { renderDispatchRequest } from '../../services/dispatch-request.ts';
import { defineOperation } from '../operation.ts';

export const dispatchRequest = defineOperation({
  summary:
    "A dispatch's request re-rendered from the webhook's current templates: for calls stored before requests were",
  access: 'read',
  procedure: 'query',
  input: z.object({ dispatchId: RecordIdSchema }),
  output: RenderedRequestSchema,
  run: ({ prisma, principal, config }, { dispatchId }) =>
    renderDispatchRequest(prisma, {
      userId: principal.userId,
      dispatchId,
      requestOrigin: config.RICOCHET_REQUEST_ORIGIN,
    }),
});
