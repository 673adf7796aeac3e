import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import { DISPATCH_CHANNEL } from '../constants.ts';
import { FRONT_KEY } from '../fair-key.ts';

/**
 * Makes a dispatch waiting for its next attempt (SCHEDULED by a retry's backoff) READY now, at the
 * front of the queue (a person asked), and wakes the workers. Whether it was waiting; a dispatch in
 * any other state is left as it is (already due, in flight, held by its webhook, or waiting for a
 * rate limit's slot, which is never skipped).
 */
export async function retryNow(sql: Sql, args: { dispatchId: string; userId: string }): Promise<boolean> {
  const rows = await sql.query<{ id: string }>(
    `WITH moved AS (
      UPDATE "DispatchQueue" SET "state" = 'READY', "runAt" = ${NOW}, "fairKey" = (SELECT ${FRONT_KEY})
      WHERE "id" = $1 AND "userId" = $2 AND "state" = 'SCHEDULED' AND "pacedSlot" IS NULL
      RETURNING "id"
    )
    SELECT m."id", (SELECT count(*) FROM (SELECT pg_notify($3, '')) n) AS "notified" FROM moved m`,
    [args.dispatchId, args.userId, DISPATCH_CHANNEL],
  );
  return rows.length > 0;
}
