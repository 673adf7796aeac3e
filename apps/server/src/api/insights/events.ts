import { EventLogItemSchema, listOf } from '@ricochet/schema';
import { z } from 'zod';
import { listEventLog } from '../../services/delivery-stats.ts';
import { defineOperation } from '../operation.ts';

export const events = defineOperation({
  summary: "The dashboard's event log, newest first, with each event's dispatch counts",
  access: 'read',
  procedure: 'query',
  input: z.object({
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(100).default(25),
  }),
  output: listOf(EventLogItemSchema),
  run: ({ prisma, principal }, page) => listEventLog(prisma, { userId: principal.userId, ...page }),
});
