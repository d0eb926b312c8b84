import { Injectable, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { AuthenticationStep } from '../authentication/authentication.step';
import type { SecurityRequest } from '../authentication/security-principal';
import { OwnershipStep } from '../authorization/ownership.step';
import { RequestLimitsStep } from '../consumption/request-limits.step';
import { SecurityThrottlerGuard, type RateLimitPrecheck } from '../consumption/security-throttler.guard';
import { setCredentialGate } from '../authentication/credential-gate';
import { RolesStep } from '../authorization/roles.step';
import { ErrorCode } from '../errors/codes';
import { FlowStep } from '../flows/flow.step';
import { rawResponse } from '../hardening/raw-http';
import { DeprecationStep } from '../inventory/deprecation.step';
import { WritePolicyStep } from '../properties/write-policy.step';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from './route-plan';
import { RoutePlanRegistry } from './route-plan.registry';

/**
 * The one global guard. It walks the route's precompiled plan in a fixed order so that no step
 * ever runs before the one it depends on: rate-limit pre-check (a client whose failed
 * authentication would be refused anyway gets 429 before any costly credential check; run from
 * inside authentication, only on its costly paths) → authenticate → rate limit (per principal, or
 * per IP when authentication failed or the route is public: failures are counted too) → authentication outcome
 * → body shape and size → roles and scopes → ownership → field write policy (@WritableBy, prototype keys)
 * → sensitive flow → deprecation (headers, or 410
 * after the sunset).
 */
@Injectable()
export class SecurityGuard implements CanActivate {
  constructor(
    private readonly registry: RoutePlanRegistry,
    private readonly authentication: AuthenticationStep,
    // Required by DI (the module provides them), so a container without them fails at boot. The
    // parameters stay optional for hand-built guards in unit tests, where a missing step is refused
    // below rather than skipped.
    private readonly roles?: RolesStep,
    private readonly ownership?: OwnershipStep,
    private readonly rateLimit?: SecurityThrottlerGuard,
    private readonly requestLimits?: RequestLimitsStep,
    private readonly flows?: FlowStep,
    private readonly deprecation?: DeprecationStep,
    private readonly writePolicy?: WritePolicyStep,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const controller = context.getClass<Type>();
    const handler = context.getHandler() as (...args: unknown[]) => unknown;
    if (context.getType() !== 'http') {
      throw new SecurityException(500, ErrorCode.NO_ROUTE_PLAN, {
        reason: `unsupported context type ${context.getType()} for ${controller.name}.${handler.name}`,
      });
    }
    const request = context.switchToHttp().getRequest<SecurityRequest>();
    const plan = this.registry.forHandler(controller, handler, request);
    if (!plan) {
      // A handler the boot walk never saw has had no security decision: refuse rather than guess.
      throw new SecurityException(500, ErrorCode.NO_ROUTE_PLAN, {
        reason: `no route plan for ${controller.name}.${handler.name}`,
      });
    }
    const rateLimit = plan.rateLimit;
    let precheck: RateLimitPrecheck | undefined;
    let precheckRefusal: unknown;
    if (rateLimit && !plan.isPublic) {
      const limiter = this.step(this.rateLimit, 'SecurityThrottlerGuard', plan);
      setCredentialGate(request, () =>
        limiter.precheck(context, request, plan, rateLimit).then(
          (outcome) => {
            precheck = outcome;
          },
          (error: unknown) => {
            precheckRefusal = error;
            throw error;
          },
        ),
      );
    }
    let refused: unknown;
    try {
      await this.authentication.run(request, plan, context);
    } catch (error) {
      refused = error;
    }
    // Refused by the pre-check: already charged, and authentication never ran.
    if (precheckRefusal !== undefined && refused === precheckRefusal) throw refused;
    // A failed authentication is charged to the address, which the pre-check may have done already.
    const charged = precheck === 'charged' && request.principal === undefined;
    if (rateLimit && !charged) {
      await this.step(this.rateLimit, 'SecurityThrottlerGuard', plan).run(context, request, plan, rateLimit);
    }
    if (refused !== undefined) throw refused;
    this.step(this.requestLimits, 'RequestLimitsStep', plan).run(request, plan);
    if (plan.roles || plan.scopes?.length) await this.step(this.roles, 'RolesStep', plan).run(request, plan);
    if (plan.ownership?.kind === 'resource') await this.step(this.ownership, 'OwnershipStep', plan).run(request, plan);
    this.step(this.writePolicy, 'WritePolicyStep', plan).run(context);
    if (plan.flow) await this.step(this.flows, 'FlowStep', plan).run(request, plan, context);
    if (plan.deprecation) {
      const response = rawResponse(context.switchToHttp().getResponse<unknown>());
      this.step(this.deprecation, 'DeprecationStep', plan).run(plan, plan.deprecation, response);
    }
    return true;
  }

  private step<T>(step: T | undefined, name: string, plan: RoutePlan): T {
    if (step) return step;
    throw new SecurityException(500, ErrorCode.NO_ROUTE_PLAN, {
      reason: `${plan.key} needs ${name}, which is not provided: add AUTHORIZATION_PROVIDERS to the module`,
    });
  }
}
