import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';

/**
 * Extends the leases `workerId` holds on the given attempts to now + `leaseMs` (the database's
 * clock). A dispatch whose lease was taken over is not renewed: its id is missing from the answer,
 * so the worker will not start its call if it has not yet.
 */
export async function renewLeases(
  sql: Sql,
  args: { held: Array<{ id: string; attempt: number }>; leaseMs: number; workerId: string },
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `UPDATE "DispatchQueue" q SET "leaseExpiresAt" = ${NOW} + $1 * interval '1 millisecond'
    FROM unnest($2::text[], $3::int[]) AS h("id", "attempt")
    WHERE q."id" = h."id" AND q."attemptCount" = h."attempt" AND q."leasedBy" = $4 AND q."state" = 'LEASED'
    RETURNING q."id"`,
    [
      args.leaseMs,
      args.held.map((entry) => entry.id),
      args.held.map((entry) => entry.attempt),
      args.workerId,
    ],
    'ricochet_renew_leases',
  );
  return rows.map((row) => row.id);
}
