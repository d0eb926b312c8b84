import type { OwnedResourcePlan } from '../plan/authorization-plan';
import type { OwnershipResolver } from '../authorization/ownership-resolver';
import {
  BootAudit,
  missingResolverRule,
  ownershipParamRule,
  publicAuthorizationRule,
  undecidedOwnershipRule,
  unknownRoleRule,
} from './boot-audit';
import type { AuditContext, RoutePlan } from '../plan/route-plan';

const route = (
  controller: string,
  handler: string,
  path: string,
  method = 'GET',
  extra: Partial<RoutePlan> = {},
): RoutePlan => ({
  key: `${method} ${path}`,
  method,
  path,
  versions: [],
  controller,
  handler,
  isPublic: false,
  ...extra,
});

const resolver: OwnershipResolver = { owns: async () => true };
const owns = (overrides: Partial<OwnedResourcePlan> = {}): OwnedResourcePlan => ({
  kind: 'resource',
  resource: 'order',
  param: 'id',
  onDenied: 404,
  bypassRoles: ['admin'],
  bypassedBy: new Set(['admin']),
  resolver,
  ...overrides,
});
const roles = (...required: string[]) => ({ required, satisfiedBy: new Set(required) });
const context: AuditContext = { knownRoles: new Set(['admin', 'manager', 'user']) };

describe('BootAudit', () => {
  it('finds nothing in distinct, well-decided routes', () => {
    expect(
      new BootAudit().run(
        [
          route('A', 'a', '/x'),
          route('A', 'b', '/x', 'POST'),
          route('B', 'c', '/y/:id', 'GET', { ownership: owns(), roles: roles('user') }),
          route('B', 'd', '/y/:id/raw', 'GET', { ownership: { kind: 'opt-out', reason: 'admins only' } }),
          route('C', 'e', '/health/:checkId', 'GET', { isPublic: true }),
        ],
        context,
      ),
    ).toEqual([]);
  });

  it('reports a route shadowed by another, even with differently named params', () => {
    const opt = { ownership: { kind: 'opt-out', reason: 'test' } } as const;
    const findings = new BootAudit().run(
      [route('A', 'a', '/users/:id', 'GET', opt), route('B', 'b', '/users/:userId', 'GET', opt)],
      context,
    );
    expect(findings).toEqual([
      { route: 'GET /users/:userId', message: 'B.b is shadowed by A.a; give one a different path.' },
    ]);
  });

  it('compares full paths and versions: module paths and header versions are distinct routes', () => {
    const opt = { ownership: { kind: 'opt-out', reason: 'test' } } as const;
    expect(
      new BootAudit().run(
        [
          route('AdminThings', 'list', '/api/admin/things', 'GET', opt),
          route('ShopThings', 'list', '/api/shop/things', 'GET', opt),
          route('V1', 'get', '/api/items', 'GET', { versions: ['1'] }),
          route('V2', 'get', '/api/items', 'GET', { versions: ['2'] }),
          route('Neutral', 'get', '/api/items', 'GET'),
        ],
        context,
      ),
    ).toEqual([]);
    const findings = new BootAudit().run(
      [
        route('V12', 'get', '/api/items', 'GET', { versions: ['1', '2'] }),
        route('V2', 'get', '/api/items', 'GET', { versions: ['2'] }),
      ],
      context,
    );
    expect(findings).toEqual([
      { route: 'GET /api/items', message: 'V2.get is shadowed by V12.get; give one a different path.' },
    ]);
  });

  it('runs every authorization rule', () => {
    const findings = new BootAudit().run(
      [
        route('A', 'a', '/orders/:id'),
        route('A', 'b', '/open', 'GET', { isPublic: true, roles: roles('user') }),
        route('A', 'c', '/r', 'GET', { roles: roles('root') }),
        route('A', 'd', '/notes/:id', 'GET', { ownership: owns({ resource: 'note', resolver: undefined }) }),
        route('A', 'e', '/lines/:id', 'GET', { ownership: owns({ param: 'lineId' }) }),
      ],
      context,
    );
    expect(findings.map((f) => f.route)).toEqual([
      'GET /orders/:id',
      'GET /open',
      'GET /r',
      'GET /notes/:id',
      'GET /lines/:id',
    ]);
  });
});

describe('undecidedOwnershipRule', () => {
  it.each(['/users/:id', '/users/:userId', '/orders/:orderId/lines', '/x/:order_id', '/v1/things/{:thingId}'])(
    'flags a protected route with an id-like parameter and no @Owns: %s',
    (path) => {
      const findings = undecidedOwnershipRule([route('Users', 'find', path)], context);
      expect(findings).toHaveLength(1);
      expect(findings[0]?.route).toBe(`GET ${path}`);
      expect(findings[0]?.message).toMatch(/^Users\.find takes :\w+ but has no ownership decision; add @Owns/);
    },
  );

  it('names every id-like parameter of the route', () => {
    const [finding] = undecidedOwnershipRule([route('U', 'f', '/users/:userId/orders/:id')], context);
    expect(finding?.message).toContain('takes :userId, :id but');
  });

  it('accepts @Owns, @Owns(false, …), public routes and parameters that are not ids', () => {
    expect(
      undecidedOwnershipRule(
        [
          route('A', 'a', '/orders/:id', 'GET', { ownership: owns() }),
          route('A', 'b', '/orders/:id', 'DELETE', { ownership: { kind: 'opt-out', reason: 'admin tool' } }),
          route('A', 'c', '/docs/:id', 'GET', { isPublic: true }),
          route('A', 'd', '/files/:name', 'GET'),
          route('A', 'e', '/files/:identity', 'GET'),
          route('A', 'f', '/static/{*path}', 'GET'),
        ],
        context,
      ),
    ).toEqual([]);
  });
});

describe('publicAuthorizationRule', () => {
  it('flags @Roles, @Scopes and @Owns on a @Public() route', () => {
    const findings = publicAuthorizationRule(
      [
        route('P', 'a', '/a', 'GET', { isPublic: true, roles: roles('admin') }),
        route('P', 'b', '/b', 'GET', { isPublic: true, scopes: ['s'] }),
        route('P', 'c', '/c/:id', 'GET', { isPublic: true, ownership: owns() }),
        route('P', 'd', '/d', 'GET', { isPublic: true, roles: roles('user'), scopes: ['s'] }),
      ],
      context,
    );
    expect(findings.map((f) => f.message)).toEqual([
      'P.a is @Public() but has @Roles; a public route has no principal to check, remove one of them.',
      'P.b is @Public() but has @Scopes; a public route has no principal to check, remove one of them.',
      'P.c is @Public() but has @Owns; a public route has no principal to check, remove one of them.',
      'P.d is @Public() but has @Roles, @Scopes; a public route has no principal to check, remove one of them.',
    ]);
  });

  it('accepts them on protected routes and an opt-out on a public one', () => {
    expect(
      publicAuthorizationRule(
        [
          route('P', 'a', '/a', 'GET', { roles: roles('admin'), scopes: ['s'], ownership: owns() }),
          route('P', 'b', '/b/:id', 'GET', { isPublic: true, ownership: { kind: 'opt-out', reason: 'public' } }),
          route('P', 'c', '/c', 'GET', { isPublic: true, scopes: [] }),
        ],
        context,
      ),
    ).toEqual([]);
  });
});

describe('unknownRoleRule', () => {
  it('flags role names the hierarchy does not know, in @Roles and bypassRoles', () => {
    const findings = unknownRoleRule(
      [
        route('R', 'a', '/a', 'GET', { roles: roles('admn', 'user') }),
        route('R', 'b', '/b/:id', 'GET', { ownership: owns({ bypassRoles: ['superuser', 'admin'] }) }),
        route('R', 'c', '/c', 'GET', { roles: roles('owner') }),
      ],
      context,
    );
    expect(findings.map((f) => f.message)).toEqual([
      "R.a names unknown role(s) 'admn'; known roles: admin, manager, user (roles.hierarchy).",
      "R.b names unknown role(s) 'superuser'; known roles: admin, manager, user (roles.hierarchy).",
      "R.c names unknown role(s) 'owner'; known roles: admin, manager, user (roles.hierarchy).",
    ]);
  });

  it('says so when the hierarchy is empty', () => {
    const [finding] = unknownRoleRule([route('R', 'a', '/a', 'GET', { roles: roles('user') })], {
      knownRoles: new Set(),
    });
    expect(finding?.message).toContain('known roles: none');
  });
});

describe('missingResolverRule', () => {
  it('flags @Owns without a registered resolver, naming route and resource', () => {
    expect(
      missingResolverRule(
        [route('N', 'find', '/notes/:id', 'GET', { ownership: owns({ resource: 'note', resolver: undefined }) })],
        context,
      ),
    ).toEqual([
      {
        route: 'GET /notes/:id',
        message:
          "N.find is @Owns('note') but no OwnershipResolver is registered for 'note'; add provideOwnershipResolver('note', …) to a module's providers (a singleton with an owns() method).",
      },
    ]);
    expect(missingResolverRule([route('N', 'find', '/notes/:id', 'GET', { ownership: owns() })], context)).toEqual([]);
  });
});

describe('ownershipParamRule', () => {
  it('flags an @Owns param that is not in the path', () => {
    const findings = ownershipParamRule(
      [
        route('O', 'a', '/orders/:id', 'GET', { ownership: owns({ param: 'orderId' }) }),
        route('O', 'b', '/orders', 'GET', { ownership: owns() }),
        route('O', 'c', '/orders/:orderId', 'GET', { ownership: owns({ param: 'orderId' }) }),
      ],
      context,
    );
    expect(findings.map((f) => f.route)).toEqual(['GET /orders/:id', 'GET /orders']);
    expect(findings[0]?.message).toContain('on parameter :orderId, which the path does not have');
  });
});

describe('GraphQL resolvers in the ownership rules', () => {
  const resolverPlan = (field: string, args: string[], extra: Partial<RoutePlan> = {}): RoutePlan =>
    route('OrderResolver', field, `Query.${field}`, 'QUERY', {
      graphql: { kind: 'query', type: 'Query', field, args },
      ...extra,
    });

  it('flags a resolver with an id-like argument and no ownership decision, naming the argument', () => {
    const findings = undecidedOwnershipRule([resolverPlan('order', ['orderId', 'note'])], context);
    expect(findings).toEqual([
      {
        route: 'QUERY Query.order',
        message: expect.stringMatching(/^OrderResolver\.order takes argument orderId but has no ownership decision/),
      },
    ]);
    expect(undecidedOwnershipRule([resolverPlan('orders', ['first'])], context)).toEqual([]);
    expect(
      undecidedOwnershipRule([resolverPlan('order', ['id'], { ownership: owns({ from: 'arg' }) })], context),
    ).toEqual([]);
  });

  it('flags @Owns on an argument the resolver does not take, or an HTTP-style @Owns on a resolver', () => {
    const findings = ownershipParamRule(
      [
        resolverPlan('a', ['id'], { ownership: owns({ param: 'orderId', from: 'arg' }) }),
        resolverPlan('b', ['id'], { ownership: owns({ param: 'id' }) }),
        resolverPlan('c', ['id'], { ownership: owns({ param: 'id', from: 'arg' }) }),
        resolverPlan('d', [], { ownership: owns({ param: 'orderId', from: 'parent' }) }),
        route('O', 'e', '/orders/:id', 'GET', { ownership: owns({ param: 'id', from: 'arg' }) }),
      ],
      context,
    );
    expect(findings.map((f) => f.route)).toEqual(['QUERY Query.a', 'QUERY Query.b', 'GET /orders/:id']);
    expect(findings[0]?.message).toContain("on argument orderId, but the resolver's @Args are: id");
    expect(findings[1]?.message).toContain('on route parameter id');
    expect(findings[2]?.message).toContain('but it is an HTTP route');
  });
});
