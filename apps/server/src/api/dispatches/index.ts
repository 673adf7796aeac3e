// Dispatches: tRPC `dispatches.<name>`, REST under /v2/webhook-dispatches.
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { list } from './list.ts';
export { get } from './get.ts';
export { redeliver } from './redeliver.ts';
export { retryNow } from './retry-now.ts';
