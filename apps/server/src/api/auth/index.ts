// The dashboard's and the portal's sessions: tRPC `auth.<name>` only.
// One line per operation: the export's name is the tRPC procedure's. The order is the REST routes'
// and OpenAPI's (operation.ts, definitionOrder): new operations go at the end.
export { branding } from './branding.ts';
export { openPortal } from './open-portal.ts';
export { session } from './session.ts';
export { signIn } from './sign-in.ts';
export { signInWithToken } from './sign-in-with-token.ts';
export { setupLink } from './setup-link.ts';
export { completeSetup } from './complete-setup.ts';
export { signOut } from './sign-out.ts';
