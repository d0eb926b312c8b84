import type { Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { pathParams } from '../common/route-path';
import type { AuthorizationPlan, OwnershipPlan } from '../plan/authorization-plan';
import type { OwnershipResolver } from './ownership-resolver';
import { declaredOwnership } from './owns.decorator';
import type { RoleGraph } from './role-graph';
import { declaredRoles } from './roles.decorator';
import { declaredScopes } from './scopes.decorator';

/**
 * Turns a route's `@Roles`, `@Scopes` and `@Owns` into the authorization part of its plan, once at
 * boot: role requirements are expanded through the hierarchy and resolvers looked up here, so a
 * request only does Set lookups and one resolver call.
 */
export class AuthorizationCompiler {
  constructor(
    private readonly reflector: Reflector,
    private readonly roles: RoleGraph,
    private readonly resolverFor: (resource: string) => OwnershipResolver | undefined,
  ) {}

  /**
   * One decision per handler, shared by every path it is served at (`paths`), because the guard
   * identifies a route by its handler: two paths of one handler can never be checked differently.
   */
  compile(handler: object, controller: Type, paths: readonly string[], args?: readonly string[]): AuthorizationPlan {
    const required = declaredRoles(this.reflector, handler, controller);
    const scopes = declaredScopes(this.reflector, handler, controller);
    const ownership = this.ownership(handler, controller, paths, args ?? []);
    return {
      ...(required ? { roles: { required, satisfiedBy: this.roles.satisfying(required) } } : {}),
      ...(scopes ? { scopes } : {}),
      ...(ownership ? { ownership } : {}),
    };
  }

  private ownership(
    handler: object,
    controller: Type,
    paths: readonly string[],
    args: readonly string[],
  ): OwnershipPlan | undefined {
    const declared = declaredOwnership(this.reflector, handler, controller);
    if (!declared) return undefined;
    const { decision, on } = declared;
    if (decision.kind === 'opt-out') return decision;
    // A controller-wide @Owns('order') says nothing about its list route (no :id there); the boot
    // audit still flags any id-like parameter left without a decision. Where only some of a
    // handler's paths have the parameter, the check stays on and the audit names the others.
    // Likewise a resolver class's @Owns('order', { arg: 'id' }) covers only the resolvers taking `id`.
    if (on === 'controller' && !this.carriesId(decision.from, decision.param, paths, args)) return undefined;
    return {
      ...decision,
      bypassedBy: this.roles.satisfying(decision.bypassRoles),
      resolver: this.resolverFor(decision.resource),
    };
  }

  private carriesId(
    from: 'body' | 'arg' | 'parent' | undefined,
    param: string,
    paths: readonly string[],
    args: readonly string[],
  ): boolean {
    if (from === 'body' || from === 'parent') return true;
    if (from === 'arg') return args.includes(param);
    return paths.some((path) => pathParams(path).includes(param));
  }
}
