// Installation administration (user accounts, the overview): tRPC `admin.<name>`.
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { overview } from './overview.ts';
export { users } from './users.ts';
export { createUser } from './create-user.ts';
export { setPassword } from './set-password.ts';
export { setRetention } from './set-retention.ts';
export { setDisabled } from './set-disabled.ts';
