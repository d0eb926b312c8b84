import { Injectable } from '@nestjs/common';
import { pathParams } from '../common/route-path';
import type { AuditContext, AuditFinding, RoutePlan } from '../plan/route-plan';

/** One check over all routes; later capabilities add their own. */
export type AuditRule = (routes: readonly RoutePlan[], context: AuditContext) => AuditFinding[];

const where = (route: RoutePlan): string => `${route.controller}.${route.handler}`;

/**
 * Two handlers on the same method, full path (module path, prefix and URI version included) and
 * version: the second is unreachable and undocumented. Header and media-type versions share a path,
 * so the same path under different versions is two routes, not one shadowing the other.
 */
export const duplicateRouteRule: AuditRule = (routes) => {
  const seen = new Map<string, RoutePlan>();
  const findings: AuditFinding[] = [];
  for (const route of routes) {
    const path = route.path.replace(/:[^/]+/g, ':param');
    const keys = (route.versions.length > 0 ? route.versions : ['']).map((v) => `${route.method} ${path} ${v}`);
    const first = keys.map((key) => seen.get(key)).find((plan) => plan !== undefined);
    if (first && (first.controller !== route.controller || first.handler !== route.handler)) {
      findings.push({
        route: route.key,
        message: `${route.controller}.${route.handler} is shadowed by ${first.controller}.${first.handler}; give one a different path.`,
      });
    }
    for (const key of keys) if (!seen.has(key)) seen.set(key, route);
  }
  return findings;
};

/** `:id`, `:userId`, `:order_id`: parameters that name one object, which someone must be allowed to see. */
const ID_LIKE_PARAM = /^(?:id|.+Id|.+_id)$/;

/**
 * A protected route addressing an object by id with no ownership decision is the classic BOLA
 * (OWASP API1): any authenticated caller could try every id. Demand `@Owns` either way.
 */
export const undecidedOwnershipRule: AuditRule = (routes) =>
  routes
    .filter((route) => !route.isPublic && route.ownership === undefined)
    .flatMap((route) => {
      // A GraphQL resolver addresses objects through its arguments, an HTTP route through its path.
      const params = (route.graphql ? route.graphql.args : pathParams(route.path)).filter((p) => ID_LIKE_PARAM.test(p));
      if (params.length === 0) return [];
      const listed = params.map((p) => (route.graphql ? `argument ${p}` : `:${p}`)).join(', ');
      return [
        {
          route: route.key,
          message: `${where(route)} takes ${listed} but has no ownership decision; add @Owns('<resource>') or @Owns(false, { reason }).`,
        },
      ];
    });

/** Public routes get no principal, so a role, scope or ownership requirement there is a contradiction. */
export const publicAuthorizationRule: AuditRule = (routes) =>
  routes
    .filter((route) => route.isPublic)
    .flatMap((route) => {
      const used = [
        ...(route.roles ? ['@Roles'] : []),
        ...(route.scopes?.length ? ['@Scopes'] : []),
        ...(route.ownership?.kind === 'resource' ? ['@Owns'] : []),
      ];
      if (used.length === 0) return [];
      return [
        {
          route: route.key,
          message: `${where(route)} is @Public() but has ${used.join(', ')}; a public route has no principal to check, remove one of them.`,
        },
      ];
    });

/** A misspelt role (`@Roles('admn')`) would lock everyone out, or worse be satisfied by a forged claim. */
export const unknownRoleRule: AuditRule = (routes, { knownRoles }) =>
  routes.flatMap((route) => {
    const named = [
      ...(route.roles?.required ?? []),
      ...(route.ownership?.kind === 'resource' ? route.ownership.bypassRoles : []),
    ];
    const unknown = [...new Set(named.filter((role) => !knownRoles.has(role)))];
    if (unknown.length === 0) return [];
    const known = [...knownRoles].sort().join(', ') || 'none';
    return [
      {
        route: route.key,
        message: `${where(route)} names unknown role(s) ${unknown.map((r) => `'${r}'`).join(', ')}; known roles: ${known} (roles.hierarchy).`,
      },
    ];
  });

/** Without a resolver nobody could ever pass the check; say so at boot instead of 404ing every request. */
export const missingResolverRule: AuditRule = (routes) =>
  routes.flatMap((route) =>
    route.ownership?.kind === 'resource' && route.ownership.resolver === undefined
      ? [
          {
            route: route.key,
            message: `${where(route)} is @Owns('${route.ownership.resource}') but no OwnershipResolver is registered for '${route.ownership.resource}'; add provideOwnershipResolver('${route.ownership.resource}', …) to a module's providers (a singleton with an owns() method).`,
          },
        ]
      : [],
  );

/** `@Owns('order', { param: 'orderId' })` on `/orders/:id` would deny everyone: the id is never found. */
export const ownershipParamRule: AuditRule = (routes) =>
  routes.flatMap((route) => {
    const ownership = route.ownership;
    if (ownership?.kind !== 'resource' || ownership.from === 'body' || ownership.from === 'parent') return [];
    if (route.graphql || ownership.from === 'arg') {
      const args = route.graphql?.args ?? [];
      if (ownership.from === 'arg' && args.includes(ownership.param)) return [];
      const has = args.length > 0 ? args.join(', ') : 'none';
      return [
        {
          route: route.key,
          message: route.graphql
            ? `${where(route)} is @Owns('${ownership.resource}') on ${ownership.from === 'arg' ? 'argument' : 'route parameter'} ${ownership.param}, but the resolver's @Args are: ${has}; use { arg: '<name>' } or { parent: '<field>' }.`
            : `${where(route)} is @Owns('${ownership.resource}') on GraphQL argument ${ownership.param}, but it is an HTTP route; use { param } or { body }.`,
        },
      ];
    }
    if (pathParams(route.path).includes(ownership.param)) return [];
    return [
      {
        route: route.key,
        message: `${where(route)} is @Owns('${ownership.resource}') on parameter :${ownership.param}, which the path does not have; set { param } to one of its parameters.`,
      },
    ];
  });

/**
 * A public `@SensitiveFlow` has no principal to count: without a per-IP limit an anonymous client
 * could run the flow without bound (OWASP API6).
 */
export const publicFlowWithoutIpLimitRule: AuditRule = (routes) =>
  routes
    .filter((route) => route.isPublic && route.flow !== undefined && route.flow.perIp.length === 0)
    .map((route) => ({
      route: route.key,
      message: `${where(route)} is @Public() with @SensitiveFlow('${route.flow?.name}') but no perIp limit; anonymous callers are counted per IP only, add perIp (e.g. '20/3600s').`,
    }));

/**
 * Runs every audit rule at boot. The registry throws (strict mode) or logs (warn mode) what it
 * returns; `protected rules` is the hook for subclasses that add checks.
 */
@Injectable()
export class BootAudit {
  protected readonly rules: AuditRule[] = [
    duplicateRouteRule,
    undecidedOwnershipRule,
    publicAuthorizationRule,
    unknownRoleRule,
    missingResolverRule,
    ownershipParamRule,
    publicFlowWithoutIpLimitRule,
  ];

  run(routes: readonly RoutePlan[], context: AuditContext): AuditFinding[] {
    return this.rules.flatMap((rule) => rule(routes, context));
  }
}
