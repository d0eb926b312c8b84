import { Injectable } from '@nestjs/common';
import { SecurityEventBus } from '../audit/security-event.bus';
import { bodyFactsOf } from '../common/body-facts';
import { PRINCIPAL_KEY, type SecurityRequest } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException, ValidationProblemException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { PrincipalRoles } from '../authorization/principal-roles';
import { findPrototypeKeys } from './prototype-keys';
import { findForbiddenWrites, type BodyBinding } from './write-policy';
import { eventContext } from '../audit/event-context';

/**
 * A step of the security guard, after authentication (so the principal is known) and before any
 * pipe turns the raw parsed body into a DTO:
 *
 * 1. `__proto__`, `constructor` or `prototype` as a key anywhere in the body → 400 naming the path;
 * 2. a property of a `@Body()` DTO (nested DTOs and arrays of them included) that the principal's
 *    roles may not write per `@WritableBy` → 403 naming every such field, an `access.denied`
 *    event with reason `field_write`, and the handler never runs;
 * 3. then the one global validation pipe applies whitelist / forbidNonWhitelisted as before.
 *
 * Which parameters are DTO bodies is compiled at boot into the route's plan (`plan.writePolicy`);
 * a request walks precompiled maps.
 */
@Injectable()
export class WritePolicyStep implements SecurityStep {
  readonly name: string = 'write-policy';

  constructor(
    protected readonly principalRoles: PrincipalRoles,
    protected readonly events: SecurityEventBus,
  ) {}

  /** Every route: prototype keys are refused in any body. */
  appliesTo(_plan: RoutePlan): boolean {
    return true;
  }

  run({ request, plan }: SecurityStepContext): void {
    const body = (request as SecurityRequest & { body?: unknown }).body;
    if (typeof body !== 'object' || body === null) return;

    // `request-limits` walked this very body and noted whether a prototype key occurs: only then
    // (or when it did not run, or the body was replaced since) are the paths looked for here.
    const facts = bodyFactsOf(request, body);
    const poisoned = facts?.prototypeKeys === false ? [] : findPrototypeKeys(body);
    if (poisoned.length > 0) {
      throw new ValidationProblemException(
        poisoned.map((field) => ({ field, message: `${field} is not an accepted property name` })),
        'prototype key in request body',
      );
    }

    const bindings = plan.writePolicy;
    if (bindings) this.enforce(request, plan.key, body, bindings);
  }

  /**
   * Refuses (403 naming every field, one `access.denied` event with reason `field_write`) when
   * `value` sets a property the request's principal may not write under `bindings`. A property of
   * a binding is read from `value` (`@Body('profile')`, or a GraphQL argument of the arguments
   * object); an undefined one takes `value` whole.
   */
  enforce(request: SecurityRequest, route: string, value: object, bindings: readonly BodyBinding[]): void {
    const principal = request[PRINCIPAL_KEY];
    const roles = this.principalRoles.of(principal);
    const refused: string[] = [];
    for (const { property, policy } of bindings) {
      if (property === undefined) refused.push(...findForbiddenWrites(value, policy, roles));
      else if (!Array.isArray(value) && Object.hasOwn(value, property)) {
        refused.push(...findForbiddenWrites((value as Record<string, unknown>)[property], policy, roles, property));
      }
    }
    if (refused.length === 0) return;

    this.events.emit({
      type: 'access.denied',
      reason: 'field_write',
      ...eventContext(request, route),
      ...(principal ? { principalId: principal.id } : {}),
      // One event per refused request, not per field: a body of many fields must not flood the log.
      details: { field: refused[0] as string, fields: refused.join(',').slice(0, 500), count: refused.length },
    });
    throw new SecurityException(403, ErrorCode.FORBIDDEN, {
      errors: refused.map((field) => ({ field, message: `${field} may not be written by this principal` })),
      reason: `field_write ${refused.join(',').slice(0, 200)}`,
    });
  }
}
