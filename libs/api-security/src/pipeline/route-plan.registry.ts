import { Inject, Injectable, Logger, type OnModuleInit, type RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { Public } from '../authentication/public.decorator';
import { REQUIRE_DPOP_KEY } from '../authentication/require-dpop.decorator';
import { AuthorizationCompiler } from '../authorization/authorization.compiler';
import { ownershipResolverToken, type OwnershipResolver } from '../authorization/ownership-resolver';
import { RoleGraph } from '../authorization/role-graph';
import { BODY_LIMIT_METADATA } from '../consumption/body-limit.decorator';
import { RateLimitCompiler } from '../consumption/rate-limit.compiler';
import { parseByteSize } from '../common/byte-size';
import { FlowCompiler } from '../flows/flow.compiler';
import { compileDeprecation, Deprecated } from '../inventory/deprecated.decorator';
import { WritePolicyCompiler } from '../properties/write-policy.compiler';
import { AmbiguousProviderError, AppProviderIndex } from '../common/app-provider.index';
import { ConfigErrorCode } from '../errors/config-codes';
import { BootAudit } from './boot-audit';
import { RouteAuditError } from './route-audit.error';
import { methodName, modulePathOf, RoutePaths } from '../common/route-path';
import type { AuditFinding, RoutePlan } from '../plan/route-plan';
import { compileChain } from './security-chain';
import type { SecurityStep } from '../plan/security-step';
import { isResolverClass, resolverOf } from './graphql-resolvers';

type Handler = (...args: unknown[]) => unknown;

/** The registered path of the route a request matched: Express's `req.route`, Fastify's `routeOptions`. */
function matchedRoute(request: unknown): unknown {
  const r = request as { route?: { path?: unknown }; routeOptions?: { url?: unknown } };
  return r.routeOptions?.url ?? r.route?.path;
}

/**
 * A route as the guard runs it: its plan and the steps that apply to it, in order. `steps` is
 * undefined until the guard has compiled the chains at bootstrap; the guard then refuses (500).
 */
export interface CompiledRoute {
  readonly plan: RoutePlan;
  steps?: readonly SecurityStep[];
}

/**
 * Walks every controller once at boot, compiles one {@link RoutePlan} per route (authentication,
 * roles, scopes, ownership with its resolver instance) and runs the boot audit over them. The guard
 * then finds a route's plan with two map lookups and never reflects at request time.
 */
@Injectable()
export class RoutePlanRegistry implements OnModuleInit {
  private readonly logger = new Logger('ApiSecurity');
  private readonly byClass = new Map<Type, Map<Handler, CompiledRoute[]>>();
  private readonly all: RoutePlan[] = [];
  private readonly resolvers = new Map<string, OwnershipResolver | undefined>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly appConfig: ApplicationConfig,
    private readonly audit: BootAudit,
    @Inject(API_SECURITY_OPTIONS) private readonly options: ResolvedApiSecurityOptions,
    private readonly providers: AppProviderIndex,
    private readonly modules: ModulesContainer,
    private readonly writePolicies: WritePolicyCompiler,
  ) {}

  onModuleInit(): void {
    const roles = new RoleGraph(this.options.roles.hierarchy);
    const problems: AuditFinding[] = [];
    this.compile(
      new AuthorizationCompiler(this.reflector, roles, (resource) => this.resolverFor(resource)),
      new RateLimitCompiler(this.reflector, this.options.rateLimit),
      problems,
    );
    // Malformed limits are errors in every audit mode: there is no safe way to guess what was meant.
    if (problems.length > 0) throw new RouteAuditError(problems, ConfigErrorCode.INVALID_ROUTE_DECLARATION);
    const findings = this.audit.run(this.all, { knownRoles: roles.known });
    if (findings.length === 0) return;
    const error = new RouteAuditError(findings);
    if (this.options.audit.mode === 'strict') throw error;
    this.logger.warn(error.message);
  }

  /** The plan for a controller method (see {@link routeFor}), or undefined for a route never seen at boot. */
  forHandler(controller: Type, handler: Handler, request?: unknown): RoutePlan | undefined {
    return this.routeFor(controller, handler, request)?.plan;
  }

  /**
   * The plan and compiled chain of a controller method, or undefined for a route the library never
   * saw at boot. A handler served at several paths (a controller in two `RouterModule` modules,
   * several controller paths, URI versions) has one route per path: given the request, the route it
   * matched (so events and per-route budgets name that path), else the first.
   */
  routeFor(controller: Type, handler: Handler, request?: unknown): CompiledRoute | undefined {
    const routes = this.byClass.get(controller)?.get(handler);
    if (!routes || routes.length < 2 || request === undefined) return routes?.[0];
    const matched = matchedRoute(request);
    return routes.find((route) => route.plan.path === matched) ?? routes[0];
  }

  /**
   * Compiles every route's chain: the steps whose `appliesTo` holds for its plan. Called once by
   * the guard at bootstrap, after every plan is compiled (the steps depend on services that
   * themselves read the plans, so the registry cannot take the steps in its constructor).
   */
  compileChains(steps: readonly SecurityStep[]): void {
    for (const handlers of this.byClass.values()) {
      for (const routes of handlers.values()) {
        for (const route of routes) route.steps = compileChain(steps, route.plan);
      }
    }
  }

  /** Every compiled route, in discovery order. */
  plans(): readonly RoutePlan[] {
    return this.all;
  }

  /**
   * The resolver registered for a resource, looked up once per resource in the whole application
   * (resolvers live in the user's modules: see AppProviderIndex). Undefined when there is none or
   * it is unusable (request-scoped, no `owns` method): the audit then reports the routes.
   */
  private resolverFor(resource: string): OwnershipResolver | undefined {
    if (!this.resolvers.has(resource)) {
      let found: unknown;
      try {
        found = this.providers.find(ownershipResolverToken(resource));
      } catch (error) {
        if (error instanceof AmbiguousProviderError) throw error;
        found = undefined;
      }
      const usable = typeof (found as Partial<OwnershipResolver> | undefined)?.owns === 'function';
      this.resolvers.set(resource, usable ? (found as OwnershipResolver) : undefined);
    }
    return this.resolvers.get(resource);
  }

  private compile(authorization: AuthorizationCompiler, rateLimits: RateLimitCompiler, problems: AuditFinding[]): void {
    const routePaths = new RoutePaths(this.appConfig);
    const flows = new FlowCompiler(this.reflector, this.providers);
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | undefined;
      if (!controller || !wrapper.instance) continue;
      // The host module's RouterModule path: the same class in two modules is served under both.
      const modulePath = modulePathOf(wrapper.host?.metatype, this.modules.applicationId);
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      const controllerPaths = this.pathList(Reflect.getMetadata(PATH_METADATA, controller));
      const controllerVersion: unknown = Reflect.getMetadata(VERSION_METADATA, controller);
      const handlers = this.byClass.get(controller) ?? new Map<Handler, CompiledRoute[]>();
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as Handler;
        const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (requestMethod === undefined) continue;
        const method = methodName(requestMethod);
        const methodPaths = this.pathList(Reflect.getMetadata(PATH_METADATA, handler));
        const served = controllerPaths.flatMap((controllerPath) =>
          routePaths.served({
            modulePath,
            controllerPath,
            methodPath: methodPaths,
            requestMethod,
            methodVersion: Reflect.getMetadata(VERSION_METADATA, handler),
            controllerVersion,
          }),
        );
        const paths = served.map((p) => p.path);
        const isPublic = this.reflector.getAllAndOverride(Public, [handler, controller]) === true;
        // The same rule as DpopRequirement applies per request, recorded for the OpenAPI document.
        const requiresDpop =
          !isPublic &&
          (this.options.dpop.required ||
            this.reflector.getAllAndOverride<boolean>(REQUIRE_DPOP_KEY, [handler, controller]) === true);
        const decisions = authorization.compile(handler, controller, paths);
        const routeName = `${method} ${paths[0]}`;
        const limited = rateLimits.compile(handler, controller, routeName);
        for (const message of limited.problems) problems.push({ route: routeName, message });
        const bodyLimitBytes = this.bodyLimitOf(handler, controller, routeName, problems);
        const flow = flows.compile(handler, `${controller.name}.${name}`);
        const deprecated = this.reflector.getAllAndOverride(Deprecated, [handler, controller]);
        const deprecation = deprecated ? compileDeprecation(deprecated, `${controller.name}.${name}`) : undefined;
        const writePolicy = this.writePolicies.forHandler(controller, handler);
        for (const { path, versions } of served) {
          const plan: RoutePlan = {
            key: `${method} ${path}`,
            method,
            path,
            versions,
            controller: controller.name,
            handler: name,
            isPublic,
            ...(requiresDpop ? { requiresDpop: true as const } : {}),
            ...decisions,
            ...(limited.plan ? { rateLimit: limited.plan } : {}),
            ...(bodyLimitBytes !== undefined ? { bodyLimitBytes } : {}),
            ...(flow ? { flow } : {}),
            ...(deprecation ? { deprecation } : {}),
            ...(writePolicy.length > 0 ? { writePolicy } : {}),
          };
          this.all.push(plan);
          handlers.set(handler, [...(handlers.get(handler) ?? []), { plan }]);
        }
      }
      this.byClass.set(controller, handlers);
    }
    this.compileResolvers(authorization, rateLimits, flows, problems);
  }

  /**
   * GraphQL resolvers get plans like routes, from the same decorators: one per query, mutation,
   * subscription and field resolver, keyed `QUERY Query.order`, its arguments standing in for the
   * path's parameters (read from @nestjs/graphql's metadata, see `graphql-resolvers`).
   */
  private compileResolvers(
    authorization: AuthorizationCompiler,
    rateLimits: RateLimitCompiler,
    flows: FlowCompiler,
    problems: AuditFinding[],
  ): void {
    for (const wrapper of this.discovery.getProviders()) {
      const resolverClass = wrapper.metatype as Type | undefined;
      if (typeof resolverClass !== 'function' || !isResolverClass(resolverClass)) continue;
      if (this.byClass.has(resolverClass)) continue;
      // The class's prototype, not the instance's: a request-scoped resolver has no instance at boot.
      const prototype = resolverClass.prototype as Record<string, unknown>;
      const handlers = new Map<Handler, CompiledRoute[]>();
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as Handler;
        const graphql = resolverOf(resolverClass, handler, name);
        if (!graphql) continue;
        const method = graphql.kind.toUpperCase();
        const path = `${graphql.type}.${graphql.field}`;
        const key = `${method} ${path}`;
        const isPublic = this.reflector.getAllAndOverride(Public, [handler, resolverClass]) === true;
        const limited = rateLimits.compile(handler, resolverClass, key);
        for (const message of limited.problems) problems.push({ route: key, message });
        const flow = flows.compile(handler, `${resolverClass.name}.${name}`);
        const plan: RoutePlan = {
          key,
          method,
          path,
          versions: [],
          controller: resolverClass.name,
          handler: name,
          isPublic,
          ...authorization.compile(handler, resolverClass, [], graphql.args),
          ...(limited.plan ? { rateLimit: limited.plan } : {}),
          ...(flow ? { flow } : {}),
          graphql,
        };
        this.all.push(plan);
        handlers.set(handler, [{ plan }]);
      }
      if (handlers.size > 0) this.byClass.set(resolverClass, handlers);
    }
  }

  /** `@BodyLimit`, which may only lower the global limit (the body parser enforces the global one first). */
  private bodyLimitOf(handler: Handler, controller: Type, route: string, problems: AuditFinding[]): number | undefined {
    const given = this.reflector.getAllAndOverride<string | number | undefined>(BODY_LIMIT_METADATA, [
      handler,
      controller,
    ]);
    if (given === undefined) return undefined;
    const bytes = parseByteSize(given);
    const global = this.options.hardening.bodyLimitBytes;
    if (bytes === undefined) {
      problems.push({
        route,
        message: `@BodyLimit(${JSON.stringify(given)}) is not a size: use bytes or e.g. '10kb'.`,
      });
      return undefined;
    }
    if (bytes > global) {
      problems.push({
        route,
        message: `@BodyLimit(${JSON.stringify(given)}) is above hardening.bodyLimit (${global} bytes), which the body parser enforces first: raise the global limit or lower this one.`,
      });
      return undefined;
    }
    return bytes < global ? bytes : undefined;
  }

  private pathList(metadata: unknown): string[] {
    if (Array.isArray(metadata)) return metadata.length > 0 ? metadata.map(String) : ['/'];
    return [typeof metadata === 'string' ? metadata : '/'];
  }
}
