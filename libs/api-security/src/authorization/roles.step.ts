import { Injectable } from '@nestjs/common';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { accessDeniedEvent } from './access-denied';

/**
 * Function-level authorization (OWASP API5): the step of the security guard that enforces `@Roles`
 * and `@Scopes`, after authentication and before ownership. A refused caller gets 403, never 401,
 * and an `access.denied` event. Subclass and override a hook to change one rule, e.g.
 * `isScopedCredential` to apply scopes to other credential types.
 */
@Injectable()
export class RolesStep implements SecurityStep {
  readonly name: string = 'roles';

  constructor(protected readonly events: SecurityEventBus) {}

  appliesTo(plan: RoutePlan): boolean {
    return plan.roles !== undefined || (plan.scopes?.length ?? 0) > 0;
  }

  run({ request, plan }: SecurityStepContext): void {
    this.authorize(request, plan);
  }

  /** Throws a 403 unless the request's principal satisfies the route's `@Roles` and `@Scopes`. */
  protected authorize(request: SecurityRequest, plan: RoutePlan): void {
    if (!plan.roles && !plan.scopes?.length) return;
    const principal = request.principal;
    // Only reachable on a misconfigured public route (a boot finding, run in warn mode): fail closed.
    if (!principal) this.deny(request, plan, 'role');
    if (!this.hasRole(principal, plan)) this.deny(request, plan, 'role');
    if (!this.hasScopes(principal, plan)) this.deny(request, plan, 'scope');
  }

  /** True when the principal holds a role that satisfies the route's `@Roles` (or there is none). */
  protected hasRole(principal: SecurityPrincipal, plan: RoutePlan): boolean {
    const requirement = plan.roles;
    if (!requirement) return true;
    const held = Array.isArray(principal.roles) ? principal.roles : [];
    return held.some((role) => requirement.satisfiedBy.has(role));
  }

  /** True when the route's `@Scopes` do not apply to this principal or it holds every one of them. */
  protected hasScopes(principal: SecurityPrincipal, plan: RoutePlan): boolean {
    const required = plan.scopes ?? [];
    if (required.length === 0 || !this.isScopedCredential(principal)) return true;
    const held = new Set(Array.isArray(principal.scopes) ? principal.scopes : []);
    return required.every((scope) => held.has(scope));
  }

  /**
   * Whether scopes limit this principal: API keys and external OAuth access tokens (whose scopes
   * are the delegated power). The library's own user sessions are limited by their roles only.
   */
  protected isScopedCredential(principal: SecurityPrincipal): boolean {
    return principal.authMethod === 'api-key' || principal.authMethod === 'oidc';
  }

  protected deny(request: SecurityRequest, plan: RoutePlan, reason: 'role' | 'scope'): never {
    const required = reason === 'role' ? (plan.roles?.required ?? []) : (plan.scopes ?? []);
    this.events.emit(accessDeniedEvent(request, plan, reason, { required: required.join(',') }));
    throw new SecurityException(403, ErrorCode.FORBIDDEN, {
      reason: `${reason} required on ${plan.key}: ${required.join(', ')}`,
    });
  }
}
