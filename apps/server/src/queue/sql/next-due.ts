import type { Sql } from '../../db/sql.ts';

/** When the next SCHEDULED row is due (a retry, a rate-limit slot), or null when none is waiting. */
export async function nextDueAt(sql: Sql): Promise<Date | null> {
  const [row] = await sql.query<{ at: Date | null }>(
    `SELECT min("runAt") AS "at" FROM "DispatchQueue" WHERE "state" = 'SCHEDULED'`,
    [],
    'ricochet_next_due',
  );
  return row?.at ?? null;
}
