import { Injectable, Logger } from '@nestjs/common';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import { SecurityEventBus, sanitizeForLog } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { accessDeniedEvent, shortened } from './access-denied';
import type { OwnedResourcePlan } from '../plan/authorization-plan';
import type { GraphqlResolverCall } from '../common/graphql-context';

/** An own, non-empty string property of an object: anything else (absent, number, object) is no id. */
function ownIdField(source: unknown, field: string): string | undefined {
  if (typeof source !== 'object' || source === null || !Object.hasOwn(source, field)) return undefined;
  const value: unknown = (source as Record<string, unknown>)[field];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Why a request failed the ownership check; recorded in the event, never sent to the client. */
export type OwnershipDenial = 'no_principal' | 'missing_id' | 'not_owned' | 'resolver_error' | 'no_resolver';

/**
 * Object-level authorization (OWASP API1): the last authorization step of the security guard,
 * enforcing `@Owns`. It fails closed: only a resolver's `true` lets the request through; a missing
 * or empty id, an unowned or unknown id, a missing resolver and a resolver error all get the same
 * 404 (or 403) response, so a caller cannot tell "exists but not yours" from "does not exist".
 */
@Injectable()
export class OwnershipStep implements SecurityStep {
  readonly name: string = 'ownership';
  protected readonly logger = new Logger('ApiSecurity');

  constructor(protected readonly events: SecurityEventBus) {}

  appliesTo(plan: RoutePlan): boolean {
    return plan.ownership?.kind === 'resource';
  }

  run({ request, plan, graphql }: SecurityStepContext): Promise<void> {
    return this.authorize(request, plan, graphql);
  }

  /** Resolves unless the route's `@Owns` check refuses the request's principal (404 or 403). */
  protected async authorize(request: SecurityRequest, plan: RoutePlan, graphql?: GraphqlResolverCall): Promise<void> {
    const ownership = plan.ownership;
    if (ownership?.kind !== 'resource') return;
    const principal = request.principal;
    if (!principal) return this.deny(request, plan, ownership, 'no_principal');
    if (this.bypasses(principal, ownership)) return;
    const id = this.idOf(request, ownership, graphql);
    if (id === undefined) return this.deny(request, plan, ownership, 'missing_id');
    const outcome = await this.check(principal, id, ownership, plan);
    if (outcome !== 'owned') return this.deny(request, plan, ownership, outcome, id);
  }

  /** The id where `@Owns` says it is: route parameter, body field, GraphQL argument or parent field. */
  protected idOf(
    request: SecurityRequest,
    ownership: OwnedResourcePlan,
    graphql: GraphqlResolverCall | undefined,
  ): string | undefined {
    switch (ownership.from) {
      case 'body':
        return this.idFromBody(request, ownership.param);
      case 'arg':
        return ownIdField(graphql?.args, ownership.param);
      case 'parent':
        return ownIdField(graphql?.parent, ownership.param);
      default:
        // A resolver has no route parameters: an HTTP-style @Owns on it finds no id and denies.
        return graphql ? undefined : this.idFrom(request, ownership.param);
    }
  }

  /** Holders of a bypass role (after hierarchy expansion) skip the check. */
  protected bypasses(principal: SecurityPrincipal, ownership: OwnedResourcePlan): boolean {
    const held = Array.isArray(principal.roles) ? principal.roles : [];
    return held.some((role) => ownership.bypassedBy.has(role));
  }

  /**
   * The id from the route parameters only, exactly as the framework decoded it. Anything but a
   * non-empty string (absent, array, object) is no id. Never trimmed or case-folded: a variant
   * spelling must not reach a row that the canonical spelling would not.
   */
  protected idFrom(request: SecurityRequest, param: string): string | undefined {
    const params = (request as { params?: unknown }).params;
    if (typeof params !== 'object' || params === null || !Object.hasOwn(params, param)) return undefined;
    const value: unknown = (params as Record<string, unknown>)[param];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  /**
   * The id from a top-level field of the parsed body (`@Owns(resource, { body })`), read before
   * validation: only an own, non-empty string property counts; anything else is no id.
   */
  protected idFromBody(request: SecurityRequest, field: string): string | undefined {
    const body = (request as { body?: unknown }).body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !Object.hasOwn(body, field))
      return undefined;
    const value: unknown = (body as Record<string, unknown>)[field];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  /** Asks the resolver; only a resolved `true` counts, errors are logged and deny. */
  protected async check(
    principal: SecurityPrincipal,
    id: string,
    ownership: OwnedResourcePlan,
    plan: RoutePlan,
  ): Promise<'owned' | 'not_owned' | 'resolver_error' | 'no_resolver'> {
    if (!ownership.resolver) {
      this.logger.error(`No ownership resolver for '${ownership.resource}' on ${plan.key}: request denied.`);
      return 'no_resolver';
    }
    try {
      return (await ownership.resolver.owns(principal, id)) === true ? 'owned' : 'not_owned';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(
        sanitizeForLog(`Ownership resolver for '${ownership.resource}' failed on ${plan.key}: ${message}`),
        error instanceof Error ? error.stack : undefined,
      );
      return 'resolver_error';
    }
  }

  protected deny(
    request: SecurityRequest,
    plan: RoutePlan,
    ownership: OwnedResourcePlan,
    why: OwnershipDenial,
    id?: string,
  ): never {
    this.events.emit(
      accessDeniedEvent(request, plan, 'ownership', {
        resource: ownership.resource,
        outcome: why,
        id: id === undefined ? null : shortened(id),
      }),
    );
    const code = ownership.onDenied === 403 ? ErrorCode.FORBIDDEN : ErrorCode.NOT_FOUND;
    throw new SecurityException(ownership.onDenied, code, {
      reason: `ownership of ${ownership.resource} denied on ${plan.key} (${why})`,
    });
  }
}
