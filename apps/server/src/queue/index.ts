// The dispatch queue: the one owner of the DispatchQueue table and of every move of a dispatch
// between the queue and the history (Dispatch, DispatchCall). One statement per file in ./sql; the
// services (publishing, redelivery, webhooks) and the delivery worker call these and nothing else
// writes those tables. See schema.prisma (DispatchQueue) for the states and fair-key.ts for the order.
export {
  ALERT_EMAIL_CHANNEL,
  CALL_CLOCK_SLACK_MS,
  callSentRequest,
  DISPATCH_CHANNEL,
  earliestCallStart,
  earliestCallStartSql,
  INTERRUPTED,
} from './constants.ts';
export { DISPATCH_ROWS, type DispatchRow, stillQueued } from './dispatch-rows.ts';
export {
  emitOperationalEvents,
  emitOperatorEvents,
  emitsOperationalEvents,
  type OperationalEvent,
  retentionDroppedEvent,
  webhookRef,
} from './operational-events.ts';
export { closeCircuit, openCircuits, probeFailed, releaseProbes } from './sql/circuits.ts';
export { type ClaimedDispatch, claim } from './sql/claim.ts';
export { type DeliveryHealth, readDeliveryHealth } from './sql/delivery-health.ts';
export {
  type EnqueueResult,
  EVENTS_FROM_JSON,
  enqueueEvents,
  type StoredEvent,
} from './sql/enqueue-events.ts';
export { enqueueTest } from './sql/enqueue-test.ts';
export { markFailing, markRecovered } from './sql/mark-failing.ts';
export { nextDueAt } from './sql/next-due.ts';
export { pacedWebhooks, paceWebhook } from './sql/pace.ts';
export { type PromoteResult, promote } from './sql/promote.ts';
export { type AttemptOutcome, type AttemptResult, record } from './sql/record.ts';
export { releaseHeld, releasePaced } from './sql/release-held.ts';
export { removeWebhook, sweepOrphans } from './sql/remove-webhook.ts';
export { renewLeases } from './sql/renew-leases.ts';
export { requeue } from './sql/requeue.ts';
export { retryNow } from './sql/retry-now.ts';
export { type StoppedWebhook, stopFailingWebhooks } from './sql/stop-failing-webhooks.ts';
export type { WebhookColumns } from './sql/webhook-columns.ts';
