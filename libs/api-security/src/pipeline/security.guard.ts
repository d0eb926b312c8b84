import {
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import type { SecurityRequest } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { SECURITY_STEPS } from './security-chain';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { RoutePlanRegistry } from './route-plan.registry';

/**
 * The one global guard. It runs the route's chain of steps, compiled at boot from the steps whose
 * `appliesTo` holds for the route's plan, in the chain's fixed order (see `BUILT_IN_STEPS`): no
 * step ever runs before the one it depends on, and a step that does not apply costs nothing.
 * Applications add or replace steps with `ApiSecurityModule.forRoot({ ...options, steps })`.
 */
@Injectable()
export class SecurityGuard implements CanActivate, OnApplicationBootstrap {
  constructor(
    private readonly registry: RoutePlanRegistry,
    @Inject(SECURITY_STEPS) private readonly steps: readonly SecurityStep[],
  ) {}

  /** Compiles each route's chain once every plan exists (plans compile in `onModuleInit`). */
  onApplicationBootstrap(): void {
    this.registry.compileChains(this.steps);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const controller = context.getClass<Type>();
    const handler = context.getHandler() as (...args: unknown[]) => unknown;
    if (context.getType() !== 'http') {
      throw new SecurityException(500, ErrorCode.NO_ROUTE_PLAN, {
        reason: `unsupported context type ${context.getType()} for ${controller.name}.${handler.name}`,
      });
    }
    // The first handler argument is the request (HTTP context checked above); switchToHttp() would allocate.
    const request = context.getArgByIndex<SecurityRequest>(0);
    const route = this.registry.routeFor(controller, handler, request);
    const chain = route?.steps;
    if (!route || !chain) {
      // A handler the boot walk never saw has had no security decision: refuse rather than guess.
      throw new SecurityException(500, ErrorCode.NO_ROUTE_PLAN, {
        reason: `no route plan for ${controller.name}.${handler.name}`,
      });
    }
    const step: SecurityStepContext = { request, plan: route.plan, execution: context };
    for (let i = 0; i < chain.length; i++) {
      // Synchronous steps (body limits, write policy, deprecation) cost no extra microtask.
      const pending = chain[i].run(step);
      if (pending) await pending;
    }
    return true;
  }
}
