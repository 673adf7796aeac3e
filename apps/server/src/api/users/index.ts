// Users: tRPC `users.<name>`, REST under /v2/users.
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { me } from './me.ts';
export { list } from './list.ts';
export { create } from './create.ts';
export { ensureByExternalId } from './ensure-by-external-id.ts';
export { byExternalId } from './by-external-id.ts';
export { createPortalSession } from './create-portal-session.ts';
export { setAlertEmail } from './set-alert-email.ts';
