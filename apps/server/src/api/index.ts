import * as admin from './admin/index.ts';
import * as auth from './auth/index.ts';
import * as dispatches from './dispatches/index.ts';
import * as eventTypes from './event-types/index.ts';
import * as events from './events/index.ts';
import * as insights from './insights/index.ts';
import { type AnyOperation, definitionOrder } from './operation.ts';
import { type BoundRoute, restRoutesOf } from './rest.ts';
import * as tokens from './tokens/index.ts';
import { router, routerOf } from './trpc.ts';
import * as users from './users/index.ts';
import * as webhooks from './webhooks/index.ts';

/**
 * Every resource of the API and its operations (one file each, listed in the resource's index).
 * A resource's name is its tRPC router's; its operations' REST routes are in their own files.
 */
const resources = { webhooks, events, dispatches, users, tokens, eventTypes, auth, insights, admin };

/** The tRPC API: `<resource>.<operation>`. */
export const appRouter = router({
  webhooks: routerOf(webhooks),
  events: routerOf(events),
  dispatches: routerOf(dispatches),
  users: routerOf(users),
  tokens: routerOf(tokens),
  eventTypes: routerOf(eventTypes),
  auth: routerOf(auth),
  insights: routerOf(insights),
  admin: routerOf(admin),
});

/** The API's type, imported by the SDK and the dashboard for end-to-end typing. */
export type AppRouter = typeof appRouter;

/** Every operation, resource by resource. */
export const operations: AnyOperation[] = Object.values(resources).flatMap((resource) =>
  definitionOrder(resource as Record<string, AnyOperation>),
);

/** Every REST route; registered on the server and described in /openapi.json from this one list. */
export const restRoutes: BoundRoute[] = restRoutesOf(operations);
