// Start-time fair queueing over the READY rows (see DispatchQueue in schema.prisma). A row that
// becomes READY gets a start tag: the later of the queue's front (the smallest READY key, the
// "virtual time" now) and its webhook's last READY key + 1, plus its rank among the rows its
// statement makes READY for the same webhook, times the stride. So:
// - a webhook with nothing waiting starts at the front: another tenant's backlog, however large,
//   delays its next call by at most the rows already at the front (the next claim takes it);
// - a webhook with a backlog continues behind its own backlog, interleaved with everyone else's;
// - one publish that reaches many of a user's webhooks spaces each webhook's rows by the number of
//   them (the stride), so the user's whole batch advances like one webhook.
// Nothing here writes a shared row: both inputs are reads of the head of a partial index.

/** SQL: the smallest READY key, 0 when nothing is READY. */
export const FRONT_KEY = `COALESCE((SELECT f."fairKey" FROM "DispatchQueue" f WHERE f."state" = 'READY' ORDER BY f."fairKey" LIMIT 1), 0)`;

/** SQL: the last READY key of the webhook named by `webhookId` (an SQL expression), null when none. */
export function lastReadyKeyOf(webhookId: string): string {
  return `(SELECT max(l."fairKey") FROM "DispatchQueue" l WHERE l."state" = 'READY' AND l."webhookId" = ${webhookId})`;
}

/** SQL: the start tag of a row, given its webhook's last READY key, its rank (1, 2, ...) and stride. */
export function startTag(front: string, lastKey: string, rank: string, stride = '1'): string {
  return `(GREATEST(${front}, ${lastKey} + 1) + (${rank} - 1) * ${stride})`;
}
