import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import { DISPATCH_CHANNEL } from '../constants.ts';
import { FRONT_KEY } from '../fair-key.ts';

/**
 * Queues a test dispatch (no event: it carries its own data) at the front of the queue, since a
 * person is waiting for it, and wakes the workers. It goes out whatever its webhook's state,
 * circuit or rate limit: someone asked for exactly this call.
 */
export async function enqueueTest(
  sql: Sql,
  args: {
    id: string;
    userId: string;
    webhookId: string;
    eventType: string;
    eventData: Record<string, unknown>;
    resource: Record<string, unknown> | null;
  },
): Promise<void> {
  await sql.query(
    `WITH queued AS (
      INSERT INTO "DispatchQueue" ("id", "userId", "webhookId", "eventId", "eventType", "eventData", "resource", "createdAt", "runAt", "state", "fairKey")
      VALUES ($1, $2, $3, NULL, $4, $5::jsonb, $6::jsonb, ${NOW}, ${NOW}, 'READY', ${FRONT_KEY})
      RETURNING 1
    )
    SELECT pg_notify($7, '') FROM queued`,
    [
      args.id,
      args.userId,
      args.webhookId,
      args.eventType,
      JSON.stringify(args.eventData),
      args.resource === null ? null : JSON.stringify(args.resource),
      DISPATCH_CHANNEL,
    ],
  );
}
