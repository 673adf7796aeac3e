import { RecordIdSchema } from '@ricochet/schema';
import { z } from 'zod';

/** The dispatch an operation acts on: its REST path parameter, its tRPC input. */
export const DispatchIdInput = z.object({ dispatchId: RecordIdSchema });
