import { RecordIdSchema } from '@ricochet/schema';
import { z } from 'zod';

/** The webhook an operation acts on: its REST path parameter, and the first field of its tRPC input. */
export const WebhookIdInput = z.object({ webhookId: RecordIdSchema });
