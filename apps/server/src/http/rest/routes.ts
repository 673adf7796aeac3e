import { customerRoutes } from './customer-routes.ts';
import { deliveryRoutes, superOfficeRoutes } from './delivery-routes.ts';
import type { RouteDefinition } from './route.ts';
import { userRoutes } from './user-routes.ts';
import { webhookRoutes } from './webhook-routes.ts';

/** Every REST endpoint; registered on the server and described in /openapi.json from this one list. */
export const restRoutes: RouteDefinition[] = [
  ...webhookRoutes,
  ...deliveryRoutes,
  ...superOfficeRoutes,
  ...userRoutes,
  ...customerRoutes,
];
