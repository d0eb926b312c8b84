import type { SecurityPrincipal } from '../common/security-principal';

/**
 * Answers "does this principal own the resource with this id?" for one resource type. Registered
 * with `provideOwnershipResolver` and looked up once at boot for every `@Owns(resource)`.
 *
 * Only a resolved `true` grants access. `false`, a throw or a rejected promise all deny (the error
 * is logged, the client gets 404 or 403), so an implementation can let database errors propagate.
 * `id` is the route parameter exactly as the framework decoded it: compare it as is, without
 * trimming, case folding or type coercion, so that no other spelling can reach the same row.
 * Resolvers must be singletons (default scope): they are resolved once at boot.
 */
export interface OwnershipResolver {
  owns(principal: SecurityPrincipal, id: string): Promise<boolean>;
}

/** The roles a route requires, compiled at boot from `@Roles`. */
export interface RoleRequirement {
  /** As declared: holding any one of them is enough. */
  readonly required: readonly string[];
  /**
   * Every role whose holder satisfies the requirement: the required roles and each role that
   * includes one of them through the hierarchy. Precomputed so a request costs one Set lookup per
   * role the principal holds, and no hierarchy walk.
   */
  readonly satisfiedBy: ReadonlySet<string>;
}

/** `@Owns(resource)` compiled at boot. */
export interface OwnedResourcePlan {
  readonly kind: 'resource';
  readonly resource: string;
  /** Route parameter that carries the id (the body field when `from` is `'body'`). */
  readonly param: string;
  /** Present when the id is read from the request body, a GraphQL argument or the parent object. */
  readonly from?: 'body' | 'arg' | 'parent';
  readonly onDenied: 404 | 403;
  /** As declared. */
  readonly bypassRoles: readonly string[];
  /** `bypassRoles` expanded through the hierarchy: holders of any of these skip the check. */
  readonly bypassedBy: ReadonlySet<string>;
  /**
   * Looked up once at boot. Undefined only when nothing is registered for the resource, which the
   * boot audit reports; in warn mode such routes deny every request that is not bypassed.
   */
  readonly resolver: OwnershipResolver | undefined;
}

/** `@Owns(false, { reason })`: the route deliberately has no ownership check. */
export interface OwnershipOptOutPlan {
  readonly kind: 'opt-out';
  readonly reason: string;
}

/** A route's ownership decision: a resource checked per request, or a declared opt-out. */
export type OwnershipPlan = OwnedResourcePlan | OwnershipOptOutPlan;

/** The authorization part of a route plan. Absent members mean "no requirement". */
export interface AuthorizationPlan {
  readonly roles?: RoleRequirement;
  /** Scopes an API-key principal must all hold. */
  readonly scopes?: readonly string[];
  readonly ownership?: OwnershipPlan;
}
