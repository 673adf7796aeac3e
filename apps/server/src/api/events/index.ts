// Events: tRPC `events.<name>`, REST under /v2/events.
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { publish } from './publish.ts';
export { get } from './get.ts';
export { publishBatch } from './publish-batch.ts';
export { broadcast } from './broadcast.ts';
