import type { Sql } from '../../db/sql.ts';
import { DISPATCH_CHANNEL } from '../constants.ts';
import { FRONT_KEY } from '../fair-key.ts';

/**
 * The HOST_WAIT rows of every host with room (fewer than `perHost` calls LEASED) go READY, at the
 * front of the queue, as many as the room. The record statement does this for the hosts whose calls
 * it finishes; this catches the rest (a claim that parked rows just after the last call to their
 * host finished, a lease that lapsed). It visits each waiting host once (a skip scan of the
 * HOST_WAIT index), so its cost follows the number of hosts, not of waiting rows.
 */
/**
 * SQL: moves HOST_WAIT rows back to READY, at the front, for each host of `hosts` (a FROM item
 * aliased with a "hostKey" column), as many as `free` (an expression over it) allows, in queue
 * order; RETURNING 1 per row. Used when calls finish (record) and by the upkeep (below).
 */
export function wakeHostWaits(hosts: string, free: string): string {
  const alias = hosts.trim().split(/\s+/).at(-1);
  return `UPDATE "DispatchQueue" q SET "state" = 'READY', "hostKey" = NULL, "fairKey" = (SELECT ${FRONT_KEY})
      FROM (
        SELECT x."id" FROM ${hosts} CROSS JOIN LATERAL (
          SELECT w."id" FROM "DispatchQueue" w WHERE w."state" = 'HOST_WAIT' AND w."hostKey" = ${alias}."hostKey"
          ORDER BY w."fairKey" LIMIT GREATEST(0, ${free})
          FOR UPDATE SKIP LOCKED
        ) x
      ) wake
      WHERE q."id" = wake."id"
      RETURNING 1`;
}

export async function releaseHostWaits(sql: Sql, args: { perHost: number }): Promise<number> {
  const [row] = await sql.query<{ released: number }>(
    `WITH RECURSIVE host AS (
      (SELECT "hostKey" FROM "DispatchQueue" WHERE "state" = 'HOST_WAIT' ORDER BY "hostKey" LIMIT 1)
      UNION ALL
      SELECT (SELECT w."hostKey" FROM "DispatchQueue" w WHERE w."state" = 'HOST_WAIT' AND w."hostKey" > host."hostKey"
              ORDER BY w."hostKey" LIMIT 1)
      FROM host WHERE host."hostKey" IS NOT NULL
    ), room AS (
      SELECT h."hostKey", $1 - (SELECT count(*)::int FROM "DispatchQueue" l WHERE l."state" = 'LEASED' AND l."hostKey" = h."hostKey") AS "free"
      FROM host h WHERE h."hostKey" IS NOT NULL
    ), released AS (
      ${wakeHostWaits('room r', 'r."free"')}
    ), notified AS (
      SELECT pg_notify($2, '') FROM (SELECT 1 FROM released LIMIT 1) n
    )
    SELECT (SELECT count(*)::int FROM released) AS "released", (SELECT count(*) FROM notified) AS "notified"`,
    [args.perHost, DISPATCH_CHANNEL],
    'ricochet_release_host_waits',
  );
  return row?.released ?? 0;
}
