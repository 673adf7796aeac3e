import { DeliveryHistogramBucketSchema, DeliveryHistogramInputSchema } from '@ricochet/schema';
import { z } from 'zod';
import { deliveryHistogram } from '../../services/delivery-stats.ts';
import { defineOperation } from '../operation.ts';

export const histogram = defineOperation({
  summary: 'Deliveries per hour (succeeded, failed), of the user or of one webhook',
  access: 'read',
  procedure: 'query',
  input: DeliveryHistogramInputSchema,
  output: z.array(DeliveryHistogramBucketSchema),
  run: ({ prisma, principal }, { hours, webhookId }) =>
    deliveryHistogram(prisma, { userId: principal.userId, hours, ...(webhookId && { webhookId }) }),
});
