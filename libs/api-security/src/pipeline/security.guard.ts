import {
  Inject,
  Injectable,
  Optional,
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
import { GRAPHQL_CHARGE_WEIGHER, type GraphqlChargeWeigher } from '../common/graphql-charge';
import type { RoutePlan } from '../plan/route-plan';

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
    // Provided by `@api-security/nestjs/graphql` (GraphqlSecurityModule): GraphQL charged by query cost.
    @Optional() @Inject(GRAPHQL_CHARGE_WEIGHER) private readonly weigher?: GraphqlChargeWeigher,
  ) {}

  /** Resolver plans with their rate limit at a given weight, so that common weights compile once. */
  private readonly weightedPlans = new WeakMap<RoutePlan, Map<number, RoutePlan>>();

  /** Per HTTP request under GraphQL: the once-per-request links that already ran (see activateResolver). */
  private readonly oncePerRequest = new WeakMap<object, OncePerRequest>();

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
   * A GraphQL resolver (query, mutation, subscription or, with `fieldResolverEnhancers: ['guards',
   * 'filters']`, field resolver): the same chain, on the HTTP request under the GraphQL context,
   * with the resolver's arguments and parent for `@Owns({ arg | parent })`. One HTTP request runs
   * many resolvers, concurrently (fields, aliases, batched operations): the rate limit is charged,
   * the credential and the body checked once per HTTP request (see {@link once}); every resolver
   * is then authorized on its own (roles, scopes, ownership, flows).
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
    for (let i = 0; i < chain.length; i++) {
      const link = chain[i];
      const pending = ONCE_PER_REQUEST.has(link.name) ? this.once(request, link, step) : link.run(step);
      if (pending) await pending;
    }
    return true;
  }

  /**
   * The rate limit and authentication of one HTTP request, shared by its resolvers. The first
   * resolver that needs them runs them; the others, concurrent or later, await the same outcome.
   * The request is charged once, by whichever link runs first: a public resolver charges the
   * address; a resolver needing a principal then only authenticates. (So a query mixing public and
   * protected fields may be charged to the address rather than the principal; it is never charged
   * twice.) A public resolver is not refused because another field's credential was. With a
   * {@link GraphqlChargeWeigher} the one charge weighs what the whole request costs.
   */
  private once(request: SecurityRequest, link: SecurityStep, step: SecurityStepContext): Promise<void> {
    let state = this.oncePerRequest.get(request);
    if (!state) {
      state = { checks: new Map() };
      this.oncePerRequest.set(request, state);
    }
    if (REQUEST_CHECKS.has(link.name)) {
      // Checks of the HTTP request itself (its body): one outcome for all of its resolvers.
      let checked = state.checks.get(link.name);
      if (!checked) {
        checked = Promise.resolve(link.run(step));
        state.checks.set(link.name, checked);
      }
      return checked;
    }
    if (link.name === 'rate-limit') {
      state.charge ??= Promise.resolve(link.run(this.weighed(request, step)));
      return state.charge.catch(rethrowUnlessUnauthenticated);
    }
    if (state.authentication) return state.authentication;
    if (link.name !== 'authentication' && state.charge) {
      // Charged already (by a public resolver): authenticate without charging again.
      const authentication = this.steps.find((candidate) => candidate.name === 'authentication') ?? link;
      state.authentication = Promise.resolve(authentication.run(step));
      return state.authentication;
    }
    if (link.name === 'authentication') {
      state.authentication = Promise.resolve(link.run(step));
      return state.authentication;
    }
    // The rate limit around authentication: this link charges the request.
    state.authentication = Promise.resolve(link.run(this.weighed(request, step)));
    state.charge = state.authentication;
    return state.authentication;
  }

  /**
   * The step context a GraphQL request is charged with: its plan's rate limit weighed by the
   * {@link GraphqlChargeWeigher} (the query's cost in units, a batch's sum) instead of the
   * resolver's own `cost`. Asked once per HTTP request, by the link that charges it.
   */
  private weighed(request: SecurityRequest, step: SecurityStepContext): SecurityStepContext {
    const rateLimit = step.plan.rateLimit;
    if (this.weigher === undefined || rateLimit === undefined) return step;
    const units = this.weigher.unitsOf(request, step.execution);
    if (units === rateLimit.cost) return step;
    let byUnits = this.weightedPlans.get(step.plan);
    if (byUnits === undefined) {
      byUnits = new Map();
      this.weightedPlans.set(step.plan, byUnits);
    }
    let plan = byUnits.get(units);
    if (plan === undefined) {
      plan = Object.freeze({ ...step.plan, rateLimit: Object.freeze({ tiers: rateLimit.tiers, cost: units }) });
      // Bounded: a client choosing ever new costs gets a plan made for its request, not a cached one.
      if (byUnits.size < MAX_WEIGHTS_PER_PLAN) byUnits.set(units, plan);
    }
    return { ...step, plan };
  }
}

/** Distinct weights remembered per resolver plan. */
const MAX_WEIGHTS_PER_PLAN = 64;

type Handler = (...args: unknown[]) => unknown;

/** What the resolvers of one HTTP request share: its rate-limit charge and its authentication. */
interface OncePerRequest {
  charge?: Promise<void>;
  authentication?: Promise<void>;
  /** The outcome of each of the {@link REQUEST_CHECKS}. */
  readonly checks: Map<string, Promise<void>>;
}

/** Built-in steps that check the HTTP request's body (size, shape, prototype keys), not the resolver. */
const REQUEST_CHECKS: ReadonlySet<string> = new Set(['request-limits', 'write-policy']);

/**
 * The links that charge the rate limit, establish who calls or check the body: once per HTTP
 * request, not per resolver.
 */
const ONCE_PER_REQUEST: ReadonlySet<string> = new Set([
  'rate-limit',
  'authentication',
  'rate-limit(authentication)',
  ...REQUEST_CHECKS,
]);

/** A public resolver awaiting a charge made with another resolver's failed authentication: not its refusal. */
function rethrowUnlessUnauthenticated(error: unknown): void {
  if (error instanceof SecurityException && error.getStatus() === 401) return;
  throw error;
}
