// Every dispatch, wherever it is: the queue (ACTIVE) and the history (SUCCEEDED, FAILED) as one
// relation with the same columns, for readers (lists, pages, statistics). A dispatch is in exactly
// one of the two at every moment (each move is one statement), so the union never shows it twice.
// PostgreSQL pushes a WHERE and an ORDER BY ... LIMIT into both branches (a Merge Append of two
// index scans), so a page costs what a page of one table would.

/** The columns of a dispatch row, as DISPATCH_ROWS gives them. */
export type DispatchRow = {
  id: string;
  userId: string;
  webhookId: string;
  eventId: string | null;
  eventType: string;
  /** Only a test dispatch's own; join the event for the others (see withEventData). */
  eventData: Record<string, unknown> | null;
  resource: Record<string, unknown> | null;
  status: 'ACTIVE' | 'SUCCEEDED' | 'FAILED';
  attemptCount: number;
  createdAt: Date;
  finishedAt: Date | null;
  /** For a queued dispatch: when its next attempt is (or was) due. */
  nextAttemptAt: Date | null;
  /** For a queued dispatch: its queue state (READY, SCHEDULED, LEASED, HOST_WAIT, PACED, HELD). */
  queueState: string | null;
  /** For a LEASED dispatch: when its running attempt was claimed. */
  leasedAt: Date | null;
};

/**
 * SQL: a dispatch of DISPATCH_ROWS (alias `alias`) that is still in the queue. Written on
 * queueState, not status: it is a constant NULL in the history branch, so there the condition folds
 * away at planning and what is left (e.g. `createdAt >= ...` of a history window) is an index-only
 * scan that prunes partitions. `status = 'ACTIVE'` names a history column and reads the heap.
 */
export function stillQueued(alias: string): string {
  return `${alias}."queueState" IS NOT NULL`;
}

/** SQL: a relation of every dispatch (alias it), columns as in DispatchRow. */
export const DISPATCH_ROWS = `(
  SELECT q."id", q."userId", q."webhookId", q."eventId", q."eventType", q."eventData", q."resource",
    'ACTIVE'::"DispatchStatus" AS "status", q."attemptCount", q."createdAt", NULL::timestamp(3) AS "finishedAt",
    q."runAt" AS "nextAttemptAt", q."state"::text AS "queueState", q."leasedAt"
  FROM "DispatchQueue" q
  UNION ALL
  SELECT d."id", d."userId", d."webhookId", d."eventId", d."eventType", d."eventData", d."resource",
    d."status", d."attemptCount", d."createdAt", d."finishedAt",
    NULL::timestamp(3), NULL::text, NULL::timestamp(3)
  FROM "Dispatch" d
)`;
