import { Logger, type ExecutionContext } from '@nestjs/common';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep } from '../plan/security-step';
import type { OwnedResourcePlan } from '../plan/authorization-plan';
import type { OwnershipResolver } from './ownership-resolver';
import { OwnershipStep } from './ownership.step';
import { RoleGraph } from './role-graph';

/** Runs the step as the guard does, with one context object; a refusal becomes a rejection. */
async function check(step: SecurityStep, request: SecurityRequest, plan: RoutePlan): Promise<void> {
  await step.run({ request, plan, execution: {} as ExecutionContext });
}

const graph = new RoleGraph({ admin: ['manager'], manager: ['user'] });
const ITEMS: Record<string, string> = { 'a-1': 'alice', 'b-1': 'bob' };

class ItemResolver implements OwnershipResolver {
  readonly calls: string[] = [];
  async owns(principal: SecurityPrincipal, id: string): Promise<boolean> {
    this.calls.push(id);
    return Object.hasOwn(ITEMS, id) && ITEMS[id] === principal.id;
  }
}

function plan(
  overrides: Partial<OwnedResourcePlan> = {},
  resolver: OwnershipResolver | null = new ItemResolver(),
): RoutePlan {
  const bypassRoles = overrides.bypassRoles ?? ['admin'];
  return {
    key: 'GET /api/items/:id',
    method: 'GET',
    path: '/api/items/:id',
    versions: [],
    controller: 'ItemsController',
    handler: 'find',
    isPublic: false,
    ownership: {
      kind: 'resource',
      resource: 'item',
      param: 'id',
      onDenied: 404,
      bypassRoles,
      bypassedBy: graph.satisfying(bypassRoles),
      resolver: resolver ?? undefined,
      ...overrides,
    },
  };
}

const who = (id: string, roles: string[] = ['user']): SecurityPrincipal => ({
  id,
  roles,
  authMethod: 'jwt',
  scopes: [],
});
const alice = who('alice');
const bob = who('bob');

function setup() {
  const events: SecurityEvent[] = [];
  const step = new OwnershipStep({ emit: (e: SecurityEvent) => events.push(e) } as unknown as SecurityEventBus);
  const request = (principal: SecurityPrincipal | undefined, params: unknown): SecurityRequest =>
    ({
      headers: {},
      method: 'GET',
      url: '/api/items/x',
      params,
      ...(principal ? { principal } : {}),
    }) as SecurityRequest;
  return { events, step, request };
}

async function status(promise: Promise<void>): Promise<number | 'allowed'> {
  try {
    await promise;
    return 'allowed';
  } catch (error) {
    if (error instanceof SecurityException) return error.getStatus();
    throw error;
  }
}

describe('OwnershipStep', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  it('lets the owner through and asks the resolver with the id exactly as routed', async () => {
    const { step, request, events } = setup();
    const resolver = new ItemResolver();
    expect(await status(check(step, request(alice, { id: 'a-1' }), plan({}, resolver)))).toBe('allowed');
    expect(resolver.calls).toEqual(['a-1']);
    expect(events).toEqual([]);
  });

  it('refuses someone else’s item with 404 NOT_FOUND and an access.denied event', async () => {
    const { step, request, events } = setup();
    const error = await check(step, request(bob, { id: 'a-1' }), plan()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecurityException);
    expect((error as SecurityException).getStatus()).toBe(404);
    expect((error as SecurityException).code).toBe(ErrorCode.NOT_FOUND);
    expect(events).toEqual([
      {
        type: 'access.denied',
        reason: 'ownership',
        route: 'GET /api/items/:id',
        principalId: 'bob',
        details: { resource: 'item', outcome: 'not_owned', id: 'a-1' },
      },
    ]);
  });

  it('answers 403 FORBIDDEN instead when the route chose onDenied: 403', async () => {
    const { step, request } = setup();
    const error = await check(step, request(bob, { id: 'a-1' }), plan({ onDenied: 403 })).catch((e: unknown) => e);
    expect((error as SecurityException).getStatus()).toBe(403);
    expect((error as SecurityException).code).toBe(ErrorCode.FORBIDDEN);
  });

  it('refuses unknown ids and variants of an owned id the same way', async () => {
    const { step, request } = setup();
    for (const id of ['nope', 'A-1', ' a-1', 'a-1 ', 'a-1/', '../a-1', 'a-1%2F', 'constructor', '__proto__']) {
      expect(await status(check(step, request(alice, { id }), plan()))).toBe(404);
    }
  });

  describe('with the id in a body field ({ body })', () => {
    const bodyPlan = (resolver: OwnershipResolver) => plan({ param: 'orderId', from: 'body' }, resolver);
    const withBody = (principal: SecurityPrincipal, body: unknown): SecurityRequest =>
      ({
        headers: {},
        method: 'POST',
        url: '/api/checkout',
        params: { orderId: 'a-1' },
        principal,
        body,
      }) as SecurityRequest;

    it('asks the resolver with the body field as sent, and lets the owner through', async () => {
      const { step } = setup();
      const resolver = new ItemResolver();
      expect(await status(check(step, withBody(alice, { orderId: 'a-1' }), bodyPlan(resolver)))).toBe('allowed');
      expect(await status(check(step, withBody(bob, { orderId: 'a-1' }), bodyPlan(resolver)))).toBe(404);
      expect(resolver.calls).toEqual(['a-1', 'a-1']);
    });

    it('refuses a missing, empty or non-string body id (and ignores route params) without asking', async () => {
      const { step, events } = setup();
      const resolver = new ItemResolver();
      const bodies = [
        undefined,
        null,
        'a-1',
        ['a-1'],
        {},
        { orderId: '' },
        { orderId: 1 },
        { orderId: ['a-1'] },
        { orderId: { id: 'a-1' } },
        { orderId: null },
        Object.create({ orderId: 'a-1' }),
      ];
      for (const body of bodies) {
        expect(await status(check(step, withBody(alice, body), bodyPlan(resolver)))).toBe(404);
      }
      expect(resolver.calls).toEqual([]);
      expect(events.every((e) => e.details?.outcome === 'missing_id')).toBe(true);
    });
  });

  it('refuses a missing, empty or non-string id without asking the resolver', async () => {
    const { step, request, events } = setup();
    const resolver = new ItemResolver();
    for (const params of [undefined, null, {}, { id: '' }, { id: ['a-1'] }, { id: { 0: 'a-1' } }, { other: 'a-1' }]) {
      expect(await status(check(step, request(alice, params), plan({}, resolver)))).toBe(404);
    }
    // `id` inherited from a prototype is not a route parameter.
    expect(await status(check(step, request(alice, Object.create({ id: 'a-1' })), plan({}, resolver)))).toBe(404);
    expect(resolver.calls).toEqual([]);
    expect(events.every((e) => e.details?.outcome === 'missing_id')).toBe(true);
  });

  it('reads the configured param', async () => {
    const { step, request } = setup();
    const routed = plan({ param: 'itemId' });
    expect(await status(check(step, request(alice, { itemId: 'a-1' }), routed))).toBe('allowed');
    expect(await status(check(step, request(alice, { id: 'a-1' }), routed))).toBe(404);
  });

  it('denies, logs and never 500s when the resolver throws or rejects', async () => {
    const { step, request, events } = setup();
    const throwing: OwnershipResolver = {
      owns: () => {
        throw new Error('connection refused\nforged line');
      },
    };
    const rejecting: OwnershipResolver = { owns: () => Promise.reject(new Error('timeout')) };
    expect(await status(check(step, request(alice, { id: 'a-1' }), plan({}, throwing)))).toBe(404);
    expect(await status(check(step, request(alice, { id: 'a-1' }), plan({ onDenied: 403 }, rejecting)))).toBe(403);
    expect(logged).toHaveBeenCalledTimes(2);
    expect(String(logged.mock.calls[0]?.[0])).toContain('connection refused\\u000aforged line');
    expect(events.map((e) => e.details?.outcome)).toEqual(['resolver_error', 'resolver_error']);
  });

  it('only counts a resolved true', async () => {
    const { step, request } = setup();
    for (const answer of [1, 'true', {}, null, undefined]) {
      const loose = { owns: async () => answer } as unknown as OwnershipResolver;
      expect(await status(check(step, request(alice, { id: 'a-1' }), plan({}, loose)))).toBe(404);
    }
  });

  it('denies every request when no resolver was registered (warn mode)', async () => {
    const { step, request, events } = setup();
    expect(await status(check(step, request(alice, { id: 'a-1' }), plan({}, null)))).toBe(404);
    expect(events[0]?.details?.outcome).toBe('no_resolver');
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('lets bypass roles through, expanded through the hierarchy', async () => {
    const { step, request } = setup();
    const resolver = new ItemResolver();
    expect(await status(check(step, request(who('root', ['admin']), { id: 'a-1' }), plan({}, resolver)))).toBe(
      'allowed',
    );
    expect(await status(check(step, request(who('root', ['admin']), { id: 'missing' }), plan({}, resolver)))).toBe(
      'allowed',
    );
    expect(resolver.calls).toEqual([]);
    expect(await status(check(step, request(who('m', ['manager']), { id: 'a-1' }), plan()))).toBe(404);
    const managers = plan({ bypassRoles: ['manager'] });
    expect(await status(check(step, request(who('m', ['manager']), { id: 'a-1' }), managers))).toBe('allowed');
    expect(await status(check(step, request(who('root', ['admin']), { id: 'a-1' }), managers))).toBe('allowed');
    expect(await status(check(step, request(who('root', ['admin']), { id: 'a-1' }), plan({ bypassRoles: [] })))).toBe(
      404,
    );
  });

  it('fails closed without a principal', async () => {
    const { step, request } = setup();
    expect(await status(check(step, request(undefined, { id: 'a-1' }), plan()))).toBe(404);
  });

  it('does nothing on routes without @Owns or with an opt-out', async () => {
    const { step, request } = setup();
    const base = plan();
    expect(await status(check(step, request(bob, { id: 'a-1' }), { ...base, ownership: undefined }))).toBe('allowed');
    expect(
      await status(check(step, request(bob, { id: 'a-1' }), { ...base, ownership: { kind: 'opt-out', reason: 'r' } })),
    ).toBe('allowed');
  });

  it('keeps long ids short in the event', async () => {
    const { step, request, events } = setup();
    await status(check(step, request(bob, { id: 'x'.repeat(5000) }), plan()));
    expect(String(events[0]?.details?.id).length).toBeLessThanOrEqual(129);
  });
});
