import type { RoutePlan } from './route-plan';

/**
 * Every compiled route, for the services that read the plans (the route inventory, proof-of-work
 * issuing) without depending on the registry that compiles them.
 */
export interface RoutePlans {
  plans(): readonly RoutePlan[];
}

/** Injection token of {@link RoutePlans}: the route registry, once it has compiled every route. */
export const ROUTE_PLANS = Symbol('api-security:RoutePlans');
