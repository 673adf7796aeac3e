import { NOW, type Sql } from '../../db/sql.ts';

export type DeliveryHealth = {
  /** Dispatches due now and not in flight (READY, HOST_WAIT, due SCHEDULED). */
  dueDispatches: number;
  /** Seconds since the oldest due dispatch became due (0: none): how far delivery is behind. */
  oldestDueAgeSeconds: number;
  /** Calls in flight (LEASED dispatches, every worker's) by `host:port`, the hosts with any. */
  inFlightByHost: Array<{ host: string; calls: number }>;
  /** Webhooks in a run of failures (`failingSince` set) and webhooks set TOO_MANY_ERRORS. */
  failingWebhooks: number;
  disabledWebhooks: number;
};

/** Hosts reported at most (the busiest): a gauge per host of a huge installation would swamp a collector. */
const HOSTS_REPORTED = 100;

/**
 * The installation's delivery health in one statement, from the tables every process shares (so any
 * process reports the same figures): what the OpenTelemetry metrics export (telemetry/sdk.ts).
 */
export async function readDeliveryHealth(sql: Sql): Promise<DeliveryHealth> {
  const [row] = await sql.query<{
    due: number;
    oldest: Date | null;
    hosts: Array<{ host: string; calls: number }> | null;
    failing: number;
    disabled: number;
  }>(
    `SELECT
      (SELECT count(*)::int FROM "DispatchQueue"
        WHERE "state" IN ('READY', 'HOST_WAIT') OR ("state" = 'SCHEDULED' AND "runAt" <= ${NOW})) AS "due",
      (SELECT min("runAt") FROM "DispatchQueue"
        WHERE "state" IN ('READY', 'HOST_WAIT') OR ("state" = 'SCHEDULED' AND "runAt" <= ${NOW})) AS "oldest",
      (SELECT json_agg(json_build_object('host', h."hostKey", 'calls', h."calls")) FROM (
        SELECT "hostKey", count(*)::int AS "calls" FROM "DispatchQueue" WHERE "state" = 'LEASED'
        GROUP BY 1 ORDER BY 2 DESC LIMIT ${HOSTS_REPORTED}) h) AS "hosts",
      (SELECT count(*)::int FROM "Webhook" WHERE "failingSince" IS NOT NULL) AS "failing",
      (SELECT count(*)::int FROM "Webhook" WHERE "state" = 'TOO_MANY_ERRORS') AS "disabled"`,
  );
  return {
    dueDispatches: row?.due ?? 0,
    oldestDueAgeSeconds: row?.oldest ? Math.max(0, (Date.now() - row.oldest.getTime()) / 1000) : 0,
    inFlightByHost: row?.hosts ?? [],
    failingWebhooks: row?.failing ?? 0,
    disabledWebhooks: row?.disabled ?? 0,
  };
}
