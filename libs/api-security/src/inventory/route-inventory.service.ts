import { Inject, Injectable } from '@nestjs/common';
import type { OwnershipPlan } from '../plan/authorization-plan';
import type { RoutePlan } from '../plan/route-plan';
import { ROUTE_PLANS, type RoutePlans } from '../plan/route-plans';
import type { WritePolicy } from '../properties/write-policy';

/** A route's ownership decision as reported: the resource checked, an explicit opt-out, or none. */
export type RouteInventoryOwnership =
  | {
      kind: 'resource';
      resource: string;
      param: string;
      /**
       * Where the id is read: a route parameter, the request body, a GraphQL argument or the
       * resolver's parent object (`param` names it there).
       */
      source: 'param' | 'body' | 'arg' | 'parent';
      onDenied: 404 | 403;
      /** As declared. */
      bypassRoles: string[];
      /** Every role that skips the check through the role hierarchy: the declared ones first. */
      effectiveBypassRoles: string[];
    }
  | { kind: 'opt-out'; reason: string }
  | null;

/** A rate-limit tier that counts the route. */
export interface RouteInventoryRateLimitTier {
  name: string;
  limit: number;
  windowSeconds: number;
  blockSeconds: number;
}

/** `@Deprecated` as reported: ISO dates and the successor. */
export interface RouteInventoryDeprecation {
  since: string | null;
  sunset: string;
  successor: string | null;
  link: string | null;
  afterSunset: 'gone' | 'serve';
}

/**
 * A GraphQL resolver's entry: what it resolves and its security decision in one word — `public`
 * (`@Public`), `owner` (`@Owns`: the id's source is in `ownership`), `roles` (`@Roles`, in `roles`),
 * or `authenticated` (any principal) — the first that applies in that order after `public`.
 */
export interface RouteInventoryGraphql {
  /** A root operation (`query`, `mutation`, `subscription`) or a field resolver (`field`). */
  kind: 'query' | 'mutation' | 'subscription' | 'field';
  /** `Query`, `Mutation`, `Subscription`, or the object type of a field resolver. */
  type: string;
  /** The field it resolves, as named in the schema. */
  field: string;
  /** Arguments its handler declares with `@Args('name')`. */
  args: string[];
  /** Who may call it, in one word (see the interface's description). */
  access: 'public' | 'owner' | 'roles' | 'authenticated';
}

/** One route and its security decisions, as the inventory reports it. */
export interface RouteInventoryEntry {
  method: string;
  path: string;
  versions: string[];
  controller: string;
  handler: string;
  public: boolean;
  /** `@Roles` as declared: any one of them (or a role that includes it) is required; empty when none. */
  roles: string[];
  /**
   * Every role that passes the `@Roles` check through `roles.hierarchy`: the declared ones first,
   * then each role that includes one of them (`@Roles('manager')` → `['manager', 'admin']` with the
   * default hierarchy). Empty when the route requires no role.
   */
  effectiveRoles: string[];
  /** `@Scopes` required of API-key principals; empty when none. */
  scopes: string[];
  ownership: RouteInventoryOwnership;
  /**
   * `@WritableBy` on the request body: field path (`role`, `items[].sku`, `profile.verified` under
   * `@Body('profile')`) → the roles that may send it; empty when the body restricts nothing.
   */
  writableFields: Record<string, string[]>;
  /** Rate-limit tiers that count the route; empty when none. */
  rateLimits: RouteInventoryRateLimitTier[];
  /** Sensitive business flow the route belongs to, or null. */
  flow: string | null;
  deprecation: RouteInventoryDeprecation | null;
  /** Present for a GraphQL query, mutation, subscription or field resolver (`method` is its kind, `path` `Type.field`). */
  graphql?: RouteInventoryGraphql;
}

function graphqlEntry(plan: RoutePlan): { graphql?: RouteInventoryGraphql } {
  if (!plan.graphql) return {};
  const { kind, type, field, args } = plan.graphql;
  const access = plan.isPublic
    ? 'public'
    : plan.ownership?.kind === 'resource'
      ? 'owner'
      : (plan.roles?.required.length ?? 0) > 0
        ? 'roles'
        : 'authenticated';
  return { graphql: { kind, type, field, args: [...args], access } };
}

function ownershipEntry(ownership: OwnershipPlan | undefined): RouteInventoryOwnership {
  if (!ownership) return null;
  if (ownership.kind === 'opt-out') return { kind: 'opt-out', reason: ownership.reason };
  return {
    kind: 'resource',
    resource: ownership.resource,
    param: ownership.param,
    source: ownership.from ?? 'param',
    onDenied: ownership.onDenied,
    bypassRoles: [...ownership.bypassRoles],
    effectiveBypassRoles: declaredFirst(ownership.bypassRoles, ownership.bypassedBy),
  };
}

/** The declared roles in their order, then every other satisfying role alphabetically. */
function declaredFirst(declared: readonly string[], satisfying: ReadonlySet<string>): string[] {
  const rest = [...satisfying].filter((role) => !declared.includes(role)).sort();
  return [...declared.filter((role) => satisfying.has(role)), ...rest];
}

function deprecationEntry(plan: RoutePlan): RouteInventoryDeprecation | null {
  const d = plan.deprecation;
  if (!d) return null;
  return {
    since: d.since !== undefined ? new Date(d.since).toISOString() : null,
    sunset: new Date(d.sunset).toISOString(),
    successor: d.successor ?? null,
    link: d.link ?? null,
    afterSunset: d.afterSunset,
  };
}

/** Flattens a write policy into `path → roles`, following nested DTOs (cycles visited once). */
function flattenWritePolicy(
  policy: WritePolicy,
  prefix: string,
  out: Record<string, string[]>,
  seen: Set<object>,
): void {
  if (seen.has(policy)) return;
  seen.add(policy);
  for (const [property, roles] of policy.restricted) out[prefix + property] = [...roles];
  for (const [property, nested] of policy.nested) {
    for (const child of nested) flattenWritePolicy(child, `${prefix}${property}.`, out, seen);
  }
  seen.delete(policy);
}

/** Lists every route the application serves with its security metadata (OWASP API9). */
@Injectable()
export class RouteInventoryService {
  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(@Inject(ROUTE_PLANS) private readonly registry: RoutePlans) {}

  /** Plain JSON-safe data (no resolver instances, no Sets), ready to serve from an admin endpoint. */
  list(): RouteInventoryEntry[] {
    return this.registry.plans().map((plan) => ({
      method: plan.method,
      path: plan.path,
      versions: [...plan.versions],
      controller: plan.controller,
      handler: plan.handler,
      public: plan.isPublic,
      roles: [...(plan.roles?.required ?? [])],
      effectiveRoles: plan.roles ? declaredFirst(plan.roles.required, plan.roles.satisfiedBy) : [],
      scopes: [...(plan.scopes ?? [])],
      ownership: ownershipEntry(plan.ownership),
      writableFields: this.writableFields(plan),
      rateLimits: (plan.rateLimit?.tiers ?? []).map((t) => ({
        name: t.name,
        limit: t.limit,
        windowSeconds: t.windowSeconds,
        blockSeconds: t.blockSeconds,
      })),
      flow: plan.flow?.name ?? null,
      deprecation: deprecationEntry(plan),
      ...graphqlEntry(plan),
    }));
  }

  private writableFields(plan: RoutePlan): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const binding of plan.writePolicy ?? []) {
      flattenWritePolicy(binding.policy, binding.property ? `${binding.property}.` : '', out, new Set());
    }
    return out;
  }
}
