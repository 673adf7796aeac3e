import { dispatchesRouter, eventsRouter } from './delivery-router.ts';
import { router } from './trpc.ts';
import { eventTypesRouter, tokensRouter, usersRouter } from './users-router.ts';
import { webhooksRouter } from './webhooks-router.ts';

export const appRouter = router({
  webhooks: webhooksRouter,
  users: usersRouter,
  tokens: tokensRouter,
  eventTypes: eventTypesRouter,
  events: eventsRouter,
  dispatches: dispatchesRouter,
});

/** The API's type, imported by the SDK and the dashboard for end-to-end typing. */
export type AppRouter = typeof appRouter;
