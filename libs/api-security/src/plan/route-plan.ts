import type { OwnershipPlan, RoleRequirement } from './authorization-plan';
import type { FlowPlan } from './flow-plan';
import type { BodyBinding } from './write-policy.plan';

/**
 * Everything the security guard needs to know about one route, computed once at boot so that
 * no request pays for reflection.
 */
export interface RoutePlan {
  /** `GET /api/v1/users/:id` */
  readonly key: string;
  readonly method: string;
  /** Full path as served: global prefix, URI version, `RouterModule` path, controller and method paths. */
  readonly path: string;
  /**
   * Versions this path answers (URI, header, media type or custom versioning); empty when the route
   * is unversioned, version-neutral or versioning is not enabled.
   */
  readonly versions: readonly string[];
  readonly controller: string;
  readonly handler: string;
  /** True when `@Public()` applies: no authentication is attempted or required. */
  readonly isPublic: boolean;
  /** `@RequireDpop()` or `dpop.required`: only DPoP-bound access tokens with a proof; absent otherwise (and on public routes). */
  readonly requiresDpop?: true;
  /** `@Roles`: absent when any authenticated principal may call the route. */
  readonly roles?: RoleRequirement;
  /** `@Scopes`: every one is required of API-key principals; absent or empty when none. */
  readonly scopes?: readonly string[];
  /** `@Owns`: a resource to check, an explicit opt-out, or absent when undecided. */
  readonly ownership?: OwnershipPlan;
  /** Rate-limit tiers that count this route; absent when none does. */
  readonly rateLimit?: RateLimitPlan;
  /** `@BodyLimit`: a smaller body limit than the global one, in bytes; absent when the global one applies. */
  readonly bodyLimitBytes?: number;
  /** `@SensitiveFlow`: velocity limits, cooldown and challenge; absent when none. */
  readonly flow?: FlowPlan;
  /** `@WritableBy` rules of the handler's `@Body()` DTOs, compiled at boot; absent when none restricts a field. */
  readonly writePolicy?: readonly BodyBinding[];
  /** `@Deprecated`: headers to send and what happens after the sunset; absent when not deprecated. */
  readonly deprecation?: DeprecationPlan;
  /** Present when the plan is a GraphQL resolver's (query, mutation, subscription or field resolver). */
  readonly graphql?: GraphqlResolverPlan;
}

/**
 * What the plan of a GraphQL resolver knows beyond an HTTP route's: `method` is its kind in upper
 * case and `path` is `Type.field`.
 */
export interface GraphqlResolverPlan {
  readonly kind: 'query' | 'mutation' | 'subscription' | 'field';
  /** `Query`, `Mutation`, `Subscription`, or the object type of a field resolver. */
  readonly type: string;
  readonly field: string;
  /** Names of the arguments its handler declares with `@Args('name')` (an `@Args()` object is not listed). */
  readonly args: readonly string[];
}

/**
 * One rate-limit tier that counts a route. A `principal` tier is one budget per principal (or IP)
 * shared by every route it counts; a `route` tier (from `@RateLimit` / `@Throttle`) is a budget per
 * principal on this route only, named `route:<name>`.
 */
export interface RateLimitTierPlan {
  readonly name: string;
  readonly scope: 'principal' | 'route';
  readonly limit: number;
  readonly windowSeconds: number;
  readonly blockSeconds: number;
}

/** How a route is rate limited; absent when no tier counts it. */
export interface RateLimitPlan {
  readonly tiers: readonly RateLimitTierPlan[];
  readonly cost: number;
}

/** A deprecated route, compiled from `@Deprecated` at boot. */
export interface DeprecationPlan {
  /** Epoch milliseconds of the deprecation (RFC 9745), when given. */
  readonly since?: number;
  /** Epoch milliseconds after which the route is retired (RFC 8594). */
  readonly sunset: number;
  /** URI of the replacement, sent as `Link: <…>; rel="successor-version"`. */
  readonly successor?: string;
  /** URI of human-readable deprecation notes, sent as `Link: <…>; rel="deprecation"`. */
  readonly link?: string;
  /** After the sunset: `gone` answers 410, `serve` keeps serving with the headers. */
  readonly afterSunset: 'gone' | 'serve';
  /** Precomputed header values (`Deprecation`, `Sunset`, `Link`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A route that a boot-audit rule objects to, with the reason in one line. */
export interface AuditFinding {
  readonly route: string;
  readonly message: string;
}

/** What rules need to know beyond the routes themselves. */
export interface AuditContext {
  /** Every role name of the configured hierarchy. */
  readonly knownRoles: ReadonlySet<string>;
}
