import { PrincipalRoles } from '../authorization/principal-roles';
import { DEFAULT_ROLE_HIERARCHY } from '../authorization/roles.options';
import { WritePolicyStep } from '../properties/write-policy.step';
import type { ResolvedApiSecurityOptions } from '../api-security.options';
import { resolveRequestLimits } from '../consumption/request-limits.options';
import { RequestLimitsStep } from '../consumption/request-limits.step';
import type { ExecutionContext } from '@nestjs/common';
import { AuthenticationStep } from '../authentication/authentication.step';
import type { PrincipalCheckService } from '../authentication/principal-check.service';
import type { Authenticator } from '../authentication/authenticator';
import type { SecurityRequest } from '../common/security-principal';
import type { GraphqlChargeWeigher } from '../common/graphql-charge';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import type { OwnershipResolver } from '../authorization/ownership-resolver';
import { OwnershipStep } from '../authorization/ownership.step';
import { RolesStep } from '../authorization/roles.step';
import { ErrorCode } from '../errors/codes';
import { SecurityException, UnauthenticatedException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { RoutePlanRegistry } from './route-plan.registry';
import { compileChain } from './security-chain';
import type { SecurityStep } from '../plan/security-step';
import { SecurityGuard } from './security.guard';

class Controller {
  handler(): void {}
}

function context(request: SecurityRequest, type = 'http'): ExecutionContext {
  return {
    getType: () => type,
    getClass: () => Controller,
    getHandler: () => Controller.prototype.handler,
    switchToHttp: () => ({ getRequest: () => request }),
    getArgByIndex: (index: number) => (index === 0 ? request : undefined),
  } as unknown as ExecutionContext;
}

const plan = (isPublic: boolean): RoutePlan => ({
  key: 'GET /x',
  method: 'GET',
  path: '/x',
  versions: [],
  controller: 'Controller',
  handler: 'handler',
  isPublic,
});

const alice: Authenticator = {
  name: 'alice',
  authenticate: async (req) =>
    req.headers.authorization === 'alice' ? { id: 'a', roles: ['user'], authMethod: 'test', scopes: [] } : null,
};

/** No PrincipalCheck registered: the step passes every principal through. */
const noPrincipalCheck = {
  assertActive: async () => undefined,
  assertActiveIfChecked: () => undefined,
} as unknown as PrincipalCheckService;

/** A guard over a registry that knows one route, its chain compiled from `steps` as at boot. */
function guardOver(found: RoutePlan | undefined, steps: readonly SecurityStep[]): SecurityGuard {
  const route = found && { plan: found, steps: compileChain(steps, found) };
  return new SecurityGuard({ routeFor: () => route } as unknown as RoutePlanRegistry, steps);
}

function guard(found: RoutePlan | undefined): SecurityGuard {
  return guardOver(found, [new AuthenticationStep([alice], noPrincipalCheck), limits(), writes()]);
}

/** The field write policy every guard runs (no handler here binds a DTO, so it only checks prototype keys). */
function writes(): WritePolicyStep {
  return new WritePolicyStep(new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } }), {
    emit: () => undefined,
  } as unknown as SecurityEventBus);
}

/** The body checks every guard runs; rate limiting stays off (no plan here has `rateLimit`). */
function limits(): RequestLimitsStep {
  return new RequestLimitsStep({ requestLimits: resolveRequestLimits(undefined) } as ResolvedApiSecurityOptions);
}

const request = (authorization?: string): SecurityRequest => ({
  headers: authorization ? { authorization } : {},
  method: 'GET',
  url: '/x',
});

describe('SecurityGuard', () => {
  it('fails closed with a 500 when a route has no plan compiled at boot', async () => {
    const error = await guard(undefined)
      .canActivate(context(request('alice')))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecurityException);
    expect((error as SecurityException).getStatus()).toBe(500);
    expect((error as SecurityException).code).toBe(ErrorCode.NO_ROUTE_PLAN);
  });

  it('refuses non-HTTP contexts', async () => {
    await expect(guard(plan(true)).canActivate(context(request(), 'rpc'))).rejects.toBeInstanceOf(SecurityException);
  });

  it('requires a principal on a non-public route and attaches it', async () => {
    await expect(guard(plan(false)).canActivate(context(request()))).rejects.toBeInstanceOf(UnauthenticatedException);
    const req = request('alice');
    await expect(guard(plan(false)).canActivate(context(req))).resolves.toBe(true);
    expect(req.principal?.id).toBe('a');
    expect(req.user).toBe(req.principal);
  });

  it('does not authenticate on a public route', async () => {
    const req = request('alice');
    await expect(guard(plan(true)).canActivate(context(req))).resolves.toBe(true);
    expect(req.principal).toBeUndefined();
  });

  describe('authorization order: authenticate → roles → ownership', () => {
    const calls: string[] = [];
    const bus = { emit: (event: SecurityEvent) => calls.push(`event:${event.reason}`) } as unknown as SecurityEventBus;
    const resolver: OwnershipResolver = {
      owns: async (principal, id) => {
        calls.push(`owns:${principal.id}:${id}`);
        return principal.id === 'a' && id === 'mine';
      },
    };
    const authorized = (roles: string[]): RoutePlan => ({
      ...plan(false),
      roles: { required: roles, satisfiedBy: new Set(roles) },
      ownership: {
        kind: 'resource',
        resource: 'thing',
        param: 'id',
        onDenied: 404,
        bypassRoles: [],
        bypassedBy: new Set(),
        resolver,
      },
    });
    const withParams = (authorization: string | undefined, id: string): SecurityRequest =>
      Object.assign(request(authorization), { params: { id } });
    const full = (found: RoutePlan) =>
      guardOver(found, [
        new AuthenticationStep([alice], noPrincipalCheck),
        limits(),
        new RolesStep(bus),
        new OwnershipStep(bus),
        writes(),
      ]);
    beforeEach(() => {
      calls.length = 0;
    });

    it('admits the owner holding the role', async () => {
      await expect(full(authorized(['user'])).canActivate(context(withParams('alice', 'mine')))).resolves.toBe(true);
      expect(calls).toEqual(['owns:a:mine']);
    });

    it('answers 401 before any authorization step when unauthenticated', async () => {
      const error = await full(authorized(['admin']))
        .canActivate(context(withParams(undefined, 'mine')))
        .catch((e: unknown) => e);
      expect((error as SecurityException).getStatus()).toBe(401);
      expect(calls).toEqual([]);
    });

    it('checks roles before ownership, so a forbidden caller never reaches the resolver', async () => {
      const error = await full(authorized(['admin']))
        .canActivate(context(withParams('alice', 'mine')))
        .catch((e: unknown) => e);
      expect((error as SecurityException).getStatus()).toBe(403);
      expect(calls).toEqual(['event:role']);
    });

    it('denies an object the caller does not own', async () => {
      const error = await full(authorized(['user']))
        .canActivate(context(withParams('alice', 'theirs')))
        .catch((e: unknown) => e);
      expect((error as SecurityException).getStatus()).toBe(404);
      expect(calls).toEqual(['owns:a:theirs', 'event:ownership']);
    });

    it('runs an application step where the chain puts it, and only on routes it applies to', async () => {
      const audit: SecurityStep = {
        name: 'audit',
        appliesTo: (route) => !route.isPublic,
        run: ({ request }) => {
          calls.push(`audit:${request.principal?.id ?? '-'}`);
        },
      };
      const chain = (found: RoutePlan) =>
        guardOver(found, [
          new AuthenticationStep([alice], noPrincipalCheck),
          audit,
          new RolesStep(bus),
          new OwnershipStep(bus),
        ]);
      await chain(authorized(['user'])).canActivate(context(withParams('alice', 'mine')));
      expect(calls).toEqual(['audit:a', 'owns:a:mine']);
      calls.length = 0;
      await chain(plan(true)).canActivate(context(request()));
      expect(calls).toEqual([]);
    });
  });

  describe('GraphQL resolvers', () => {
    /** A resolver's context: (parent, args, { req }, info), as @nestjs/graphql hands it to guards. */
    function resolverContext(gqlContext: unknown, args: Record<string, unknown> = {}): ExecutionContext {
      const list = [undefined, args, gqlContext, {}];
      return {
        getType: () => 'graphql',
        getClass: () => Controller,
        getHandler: () => Controller.prototype.handler,
        getArgByIndex: (index: number) => list[index],
        switchToHttp: () => ({ getRequest: () => undefined, getResponse: () => args }),
      } as unknown as ExecutionContext;
    }

    it('fails closed with a 500 when the GraphQL context carries no HTTP request', async () => {
      const error = await guard(plan(false))
        .canActivate(resolverContext({}))
        .catch((e: unknown) => e);
      expect((error as SecurityException).code).toBe(ErrorCode.NO_ROUTE_PLAN);
      expect((error as SecurityException).getStatus()).toBe(500);
    });

    it('authenticates the request under Apollo’s req and Mercurius’s reply.request', async () => {
      const apollo = request('alice');
      await expect(guard(plan(false)).canActivate(resolverContext({ req: apollo }))).resolves.toBe(true);
      expect(apollo.principal?.id).toBe('a');
      const mercurius = request('alice');
      await expect(guard(plan(false)).canActivate(resolverContext({ reply: { request: mercurius } }))).resolves.toBe(
        true,
      );
      expect(mercurius.principal?.id).toBe('a');
      await expect(guard(plan(false)).canActivate(resolverContext({ req: request() }))).rejects.toBeInstanceOf(
        UnauthenticatedException,
      );
    });

    it('authenticates once for concurrent resolvers of one request, and each after a refusal is refused too', async () => {
      let calls = 0;
      const counting: Authenticator = {
        name: 'counting',
        authenticate: async (req) => {
          calls++;
          return alice.authenticate(req, undefined as unknown as ExecutionContext);
        },
      };
      const shared = guardOver(plan(false), [new AuthenticationStep([counting], noPrincipalCheck), limits(), writes()]);
      const ok = request('alice');
      const results = await Promise.all(
        Array.from({ length: 5 }, () => shared.canActivate(resolverContext({ req: ok }))),
      );
      expect(results).toEqual([true, true, true, true, true]);
      expect(calls).toBe(1);
      const refused = request('mallory');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 3 }, () => shared.canActivate(resolverContext({ req: refused }))),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(calls).toBe(2);
    });

    it('charges a request once, weighed by the GraphQL weigher, and leaves the plan itself alone', async () => {
      const charged: number[] = [];
      const rateLimit: SecurityStep = {
        name: 'rate-limit',
        appliesTo: () => true,
        run: async ({ plan: seen }) => {
          charged.push(seen.rateLimit?.cost ?? -1);
        },
      };
      const limited: RoutePlan = { ...plan(true), rateLimit: { tiers: [], cost: 1 } };
      let weighed = 0;
      const weigher: GraphqlChargeWeigher = {
        unitsOf: () => {
          weighed++;
          return 7;
        },
      };
      const route = { plan: limited, steps: compileChain([rateLimit], limited) };
      const weighing = new SecurityGuard(
        { routeFor: () => route } as unknown as RoutePlanRegistry,
        [rateLimit],
        weigher,
      );
      const req = request();
      await Promise.all(Array.from({ length: 4 }, () => weighing.canActivate(resolverContext({ req }))));
      expect(charged).toEqual([7]);
      expect(weighed).toBe(1);
      expect(limited.rateLimit?.cost).toBe(1);
      // Without a weigher (no GraphqlSecurityModule) the plan's own cost is charged.
      await guardOver(limited, [rateLimit]).canActivate(resolverContext({ req: request() }));
      expect(charged).toEqual([7, 1]);
    });

    it('passes the resolver’s arguments to the steps', async () => {
      let seen: unknown;
      const spy: SecurityStep = {
        name: 'spy',
        appliesTo: () => true,
        run: ({ graphql }) => {
          seen = graphql;
        },
      };
      await guardOver(plan(true), [spy]).canActivate(resolverContext({ req: request() }, { id: 'A1' }));
      expect(seen).toEqual({ args: { id: 'A1' }, parent: undefined });
    });
  });
});
