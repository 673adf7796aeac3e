import { authRouter } from './auth-router.ts';
import { dispatchesRouter, eventsRouter } from './delivery-router.ts';
import { adminRouter, insightsRouter } from './insights-router.ts';
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
  auth: authRouter,
  insights: insightsRouter,
  admin: adminRouter,
});

/** The API's type, imported by the SDK and the dashboard for end-to-end typing. */
export type AppRouter = typeof appRouter;
