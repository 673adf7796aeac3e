// API tokens: tRPC `tokens.<name>`, REST under /v2/users/me/tokens.
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { list } from './list.ts';
export { create } from './create.ts';
export { revoke } from './revoke.ts';
