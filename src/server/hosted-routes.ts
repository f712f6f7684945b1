import type { RouteDeps } from './engram-routes.js';
import type { Route } from './route-table.js';

export function hostedRoutes(_deps: RouteDeps): Route[] {
  return [];
}
