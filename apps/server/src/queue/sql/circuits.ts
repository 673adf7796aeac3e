import type { Sql } from '../../db/sql.ts';
import { NOW } from '../../db/sql.ts';
import { callSentRequest, DISPATCH_CHANNEL } from '../constants.ts';
import { FRONT_KEY } from '../fair-key.ts';
import { releaseHeldStatement } from './release-held.ts';

// The circuit of a webhook (see Webhook.circuitOpenedAt): the webhook row is written only when the
// circuit changes state, never per call, and which calls got no response is read from the calls.

/**
 * Opens the circuit of each given webhook whose last `threshold` calls all got no response
 * (connection refused or reset, timeouts, DNS; a request was sent or tried, unlike a template that
 * did not render), and HOLDs its waiting dispatches; the first probe goes `probeDelayMs` later.
 * Returns the webhooks whose circuit it opened.
 */
export async function openCircuits(
  sql: Sql,
  args: { webhookIds: string[]; threshold: number; probeDelayMs: number },
): Promise<string[]> {
  if (args.webhookIds.length === 0) return [];
  const rows = await sql.query<{ id: string }>(
    `WITH opened AS (
      UPDATE "Webhook" w SET "circuitOpenedAt" = ${NOW},
        "circuitProbeAt" = ${NOW} + $3 * interval '1 millisecond', "circuitOpenings" = 0,
        "circuitLastError" = (SELECT c."errorMessage" FROM "DispatchCall" c WHERE c."webhookId" = w."id"
                              ORDER BY c."startedAt" DESC LIMIT 1)
      WHERE w."id" = ANY($1::text[]) AND w."circuitOpenedAt" IS NULL
        AND (SELECT count(*) FROM (
              SELECT c."responseStatus", ${callSentRequest('c')} AS "sent", c."errorMessage" FROM "DispatchCall" c
              WHERE c."webhookId" = w."id" AND c."finishedAt" IS NOT NULL
              ORDER BY c."startedAt" DESC LIMIT $2
            ) recent
            WHERE recent."responseStatus" IS NULL AND recent."sent"
              AND recent."errorMessage" IS NOT NULL) >= $2
      RETURNING w."id"
    ), held AS (
      UPDATE "DispatchQueue" q SET "state" = 'HELD', "hostKey" = NULL
      FROM opened o
      WHERE q."webhookId" = o."id" AND q."eventId" IS NOT NULL AND q."state" IN ('READY', 'HOST_WAIT', 'PACED')
    )
    SELECT "id" FROM opened`,
    [args.webhookIds, args.threshold, args.probeDelayMs],
    'ricochet_open_circuits',
  );
  return rows.map((row) => row.id);
}

/**
 * Lets one HELD dispatch of each webhook whose next probe is due go, at the front of the queue, as
 * the probe. The next probe time is pushed `graceMs` ahead at once, so a probe lost with its worker
 * is followed by another; the probe's result sets it properly (closeCircuit or probeFailed).
 */
export async function releaseProbes(sql: Sql, args: { graceMs: number }): Promise<number> {
  const rows = await sql.query<{ id: string }>(
    `WITH due AS (
      SELECT w."id" FROM "Webhook" w
      WHERE w."circuitProbeAt" <= ${NOW} AND w."circuitOpenedAt" IS NOT NULL
      LIMIT 100
      FOR UPDATE SKIP LOCKED
    ), bumped AS (
      UPDATE "Webhook" w SET "circuitProbeAt" = ${NOW} + $1 * interval '1 millisecond' FROM due WHERE w."id" = due."id"
    ), probe AS (
      SELECT p."id" FROM due CROSS JOIN LATERAL (
        SELECT q."id" FROM "DispatchQueue" q WHERE q."webhookId" = due."id" AND q."state" = 'HELD'
        ORDER BY q."fairKey" LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) p
    )
    UPDATE "DispatchQueue" q SET "state" = 'READY', "isProbe" = true, "fairKey" = (SELECT ${FRONT_KEY})
    FROM probe WHERE q."id" = probe."id"
    RETURNING q."id"`,
    [args.graceMs],
    'ricochet_release_probes',
  );
  return rows.length;
}

/** A call to a webhook with an open circuit got a response: the circuit closes and its HELD dispatches go. */
export async function closeCircuit(sql: Sql, args: { webhookId: string }): Promise<boolean> {
  const rows = await sql.query<{ id: string }>(
    `WITH closed AS (
      UPDATE "Webhook" SET "circuitOpenedAt" = NULL, "circuitProbeAt" = NULL, "circuitOpenings" = 0,
        "circuitLastError" = NULL
      WHERE "id" = $1 AND "circuitOpenedAt" IS NOT NULL
      RETURNING "id", "state", "rateLimitPerSecond"
    ), released AS (${releaseHeldStatement('closed')}),
    notified AS (SELECT pg_notify($2, '') FROM (SELECT 1 FROM released LIMIT 1) n)
    SELECT "id", (SELECT count(*) FROM notified) AS "notified" FROM closed`,
    [args.webhookId, DISPATCH_CHANNEL],
  );
  return rows.length > 0;
}

/** The probe got no response: the next one waits twice as long as the last, at most `maxDelayMs`. */
export async function probeFailed(
  sql: Sql,
  args: { webhookId: string; baseDelayMs: number; maxDelayMs: number; error: string | null },
): Promise<void> {
  await sql.query(
    `UPDATE "Webhook" SET "circuitOpenings" = "circuitOpenings" + 1, "circuitLastError" = $4,
      "circuitProbeAt" = ${NOW} + LEAST($3::float8, $2::float8 * power(2, "circuitOpenings" + 1)) * interval '1 millisecond'
    WHERE "id" = $1 AND "circuitOpenedAt" IS NOT NULL`,
    [args.webhookId, args.baseDelayMs, args.maxDelayMs, args.error],
  );
}
