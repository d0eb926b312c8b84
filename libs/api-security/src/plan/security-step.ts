import type { ExecutionContext } from '@nestjs/common';
import type { SecurityRequest } from '../common/security-principal';
import type { RoutePlan } from './route-plan';
import type { GraphqlResolverCall } from '../common/graphql-context';

/** The names of the built-in steps, in the order the security guard runs them. */
export const BUILT_IN_STEP_NAMES = [
  'rate-limit',
  'authentication',
  'request-limits',
  'roles',
  'ownership',
  'write-policy',
  'flow',
  'deprecation',
] as const;

/** The name of a built-in step: an anchor for `before` / `after`, or a step to `replace`. */
export type BuiltInStepName = (typeof BUILT_IN_STEP_NAMES)[number];

/**
 * What every step of the security guard receives for one request. One object per request, shared
 * by every step of the chain; `request.principal` is set once the `authentication` step has run.
 */
export interface SecurityStepContext {
  /** The request, as the HTTP adapter parsed it (Express or Fastify). */
  readonly request: SecurityRequest;
  /** The route's plan, compiled at boot. */
  readonly plan: RoutePlan;
  /** Nest's execution context, for the response or the handler's metadata. */
  readonly execution: ExecutionContext;
  /** Present when the guard runs for a GraphQL resolver: its arguments and parent object. */
  readonly graphql?: GraphqlResolverCall;
}

/**
 * One step of the security guard's chain. Each route runs, in order, the steps whose
 * {@link SecurityStep.appliesTo} answered true for its plan at boot: a step that does not apply
 * costs a route nothing at request time. A step refuses a request by throwing (a
 * `SecurityException` gives RFC 9457 problem details); returning lets the next step run.
 *
 * Register your own with `ApiSecurityModule.forRoot({ ...options, steps: [...] })`; subclass a
 * built-in step (e.g. `RolesStep`) and `replace` it to change one of its hooks.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class TenantStep implements SecurityStep {
 *   readonly name = 'tenant';
 *   appliesTo(plan: RoutePlan): boolean { return !plan.isPublic; }
 *   run({ request }: SecurityStepContext): void {
 *     if (request.headers['x-tenant'] !== request.principal?.tenant) throw new SecurityException(403, ErrorCode.FORBIDDEN);
 *   }
 * }
 * ```
 */
export interface SecurityStep {
  /** Unique in the chain; built-in steps use the {@link BuiltInStepName}s. */
  readonly name: string;
  /** Decided once per route at boot: whether the route runs this step. */
  appliesTo(plan: RoutePlan): boolean;
  /** Runs the check for one request; throws to refuse it. */
  run(context: SecurityStepContext): void | Promise<void>;
  /**
   * Optional, with {@link around}: the name of a later step this one runs around, for a step that
   * must see that step's outcome. The built-in rate limit wraps `authentication`, to count requests
   * whose authentication fails and to refuse an over-limit client before its credential is checked.
   * On a route where both apply, the guard calls `around` where the wrapped step would run, instead
   * of running either on its own.
   */
  readonly wraps?: string;
  /** Runs this step and, inside it, the step named by {@link wraps}. */
  around?(context: SecurityStepContext, next: SecurityStep): Promise<void>;
}
