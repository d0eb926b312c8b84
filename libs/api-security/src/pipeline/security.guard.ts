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
import { graphqlCallOf, graphqlRequestOf } from '../common/graphql-context';

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

  /** Per HTTP request under GraphQL: the once-per-request links that already ran (see activateResolver). */
  private readonly oncePerRequest = new WeakMap<object, Set<string>>();

  /** Compiles each route's chain once every plan exists (plans compile in `onModuleInit`). */
  onApplicationBootstrap(): void {
    this.registry.compileChains(this.steps);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const controller = context.getClass<Type>();
    const handler = context.getHandler() as (...args: unknown[]) => unknown;
    const type = context.getType<string>();
    if (type === 'graphql') return this.activateResolver(context, controller, handler);
    if (type !== 'http') {
      throw new SecurityException(500, ErrorCode.NO_ROUTE_PLAN, {
        reason: `unsupported context type ${type} for ${controller.name}.${handler.name}`,
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

  /**
   * A GraphQL resolver (query, mutation, subscription or, with `fieldResolverEnhancers: ['guards']`,
   * field resolver): the same chain, on the HTTP request under the GraphQL context, with the
   * resolver's arguments and parent for `@Owns({ arg | parent })`. One HTTP request runs many
   * resolvers (fields, aliases, batched operations): the rate limit and authentication run once
   * per HTTP request and step, the first time they apply; every resolver then reuses the principal
   * and is authorized on its own (roles, scopes, ownership).
   */
  private async activateResolver(context: ExecutionContext, controller: Type, handler: Handler): Promise<boolean> {
    const request = graphqlRequestOf(context) as SecurityRequest | undefined;
    const route = this.registry.routeFor(controller, handler);
    const chain = route?.steps;
    if (!route || !chain || typeof request !== 'object' || request === null) {
      throw new SecurityException(500, ErrorCode.NO_ROUTE_PLAN, {
        reason: route
          ? `no HTTP request in the GraphQL context of ${controller.name}.${handler.name} (set the context to ({ req }) or ({ reply }))`
          : `no resolver plan for ${controller.name}.${handler.name}`,
      });
    }
    const step: SecurityStepContext = {
      request,
      plan: route.plan,
      execution: context,
      graphql: graphqlCallOf(context),
    };
    let done = this.oncePerRequest.get(request);
    for (let i = 0; i < chain.length; i++) {
      const link = chain[i];
      const once = ONCE_PER_REQUEST.has(link.name);
      if (once && done?.has(link.name)) continue;
      const pending = link.run(step);
      if (pending) await pending;
      if (once) {
        done ??= new Set<string>();
        this.oncePerRequest.set(request, done);
        done.add(link.name);
        // Authenticated: a later resolver needing authentication reuses the principal, uncharged again.
        if (request.principal) for (const name of AUTHENTICATING) done.add(name);
      }
    }
    return true;
  }
}

type Handler = (...args: unknown[]) => unknown;

/** The links that establish who calls and charge the rate limit: once per HTTP request, not per resolver. */
const AUTHENTICATING = ['authentication', 'rate-limit(authentication)'];
const ONCE_PER_REQUEST: ReadonlySet<string> = new Set(['rate-limit', ...AUTHENTICATING]);
