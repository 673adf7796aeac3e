// Webhooks: tRPC `webhooks.<name>`, REST under /v2/webhooks (and SuperOffice's Webhook/Test).
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { create } from './create.ts';
export { list } from './list.ts';
export { get } from './get.ts';
export { update } from './update.ts';
export { remove as delete } from './delete.ts';
export { listForActorTask } from './list-for-actor-task.ts';
export { test } from './test.ts';
export { testUnsaved } from './test-unsaved.ts';
export { secrets } from './secrets.ts';
export { rotateSecret } from './rotate-secret.ts';
export { dispatches } from './dispatches.ts';
export { redeliverFailed } from './redeliver-failed.ts';
export { testDefinition } from './test-definition.ts';
export { notifications } from './notifications.ts';
