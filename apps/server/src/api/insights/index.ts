// The dashboard's read models (searched, paged and aggregated on the server): tRPC `insights.<name>`.
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { webhooks } from './webhooks.ts';
export { histogram } from './histogram.ts';
export { dispatchLog } from './dispatch-log.ts';
export { events } from './events.ts';
export { previewRequest } from './preview-request.ts';
export { history } from './history.ts';
export { dispatch } from './dispatch.ts';
export { dispatchRequest } from './dispatch-request.ts';
