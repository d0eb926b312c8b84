import type { ExecutionContext } from '@nestjs/common';
import { resolveApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import { deferRevocation, type DeferredRevocation } from '../common/deferred-revocation';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { MemorySecurityStore } from '../store/memory.store';
import { RateLimitStep } from './rate-limit.step';
import { StoreThrottlerStorage } from './store-throttler.storage';

const plan = {
  key: 'GET /things',
  isPublic: false,
  rateLimit: {
    tiers: [{ name: 'default', scope: 'principal', limit: 5, windowSeconds: 60, blockSeconds: 0 }],
    cost: 1,
  },
} as unknown as RoutePlan;

const REFUSAL = new Error('401 revoked');

function setup(Step: typeof RateLimitStep = RateLimitStep) {
  const store = new MemorySecurityStore();
  const storage = new StoreThrottlerStorage(store);
  const events = new SecurityEventBus([]);
  jest.spyOn(events, 'emit').mockImplementation(() => undefined);
  const step = new Step(resolveApiSecurityOptions(), storage, events);
  const headers = new Map<string, string>();
  const response = { setHeader: (name: string, value: string) => headers.set(name, value) };
  const execution = {
    switchToHttp: () => ({ getResponse: () => response }),
    getArgByIndex: (index: number) => (index === 1 ? response : undefined),
  } as unknown as ExecutionContext;
  const request = { ip: '203.0.113.9', headers: {} } as unknown as SecurityRequest;
  const context: SecurityStepContext = { request, plan, execution };
  return { store, storage, step, context, request, headers };
}

/** An authentication that sets the principal and leaves (when offered) the revocation check to the step. */
function authentication(
  revoked: boolean,
  deferred: boolean[],
  principalOf: () => SecurityPrincipal = () => ({ id: 'alice', authMethod: 'jwt' }) as SecurityPrincipal,
): SecurityStep {
  return {
    name: 'authentication',
    appliesTo: () => true,
    run: ({ request }) => {
      const principal = principalOf();
      const check: DeferredRevocation = {
        records: { marks: ['{u:alice}:jti:j1'] },
        isRevoked: (_stamp, marks) => revoked || marks.some((mark) => mark !== null),
        refuse: async () => REFUSAL,
      };
      deferred.push(deferRevocation(request, () => check));
      request.principal = principal;
      request.user = principal;
    },
  };
}

describe('RateLimitStep', () => {
  it('compiles a route layout when the chain asks appliesTo at boot, not on its first request', () => {
    const { step } = setup();
    const compiled = (step as unknown as { compiled: WeakMap<object, unknown> }).compiled;
    expect(compiled.has(plan.rateLimit as object)).toBe(false);
    expect(step.appliesTo(plan)).toBe(true);
    expect(compiled.has(plan.rateLimit as object)).toBe(true);
  });

  it("charges the principal and reads the token's records in one store call", async () => {
    const { store, step, context, headers } = setup();
    const single = jest.spyOn(store, 'consumeIfClear');
    const consume = jest.spyOn(store, 'consume');
    const getMany = jest.spyOn(store, 'getMany');
    const deferred: boolean[] = [];
    await step.around(context, authentication(false, deferred));
    expect(deferred).toEqual([true]);
    expect([single.mock.calls.length, consume.mock.calls.length, getMany.mock.calls.length]).toEqual([1, 0, 0]);
    expect(single.mock.calls[0][0]).toMatchObject({
      marks: ['{u:alice}:jti:j1'],
      counters: [{ key: 'rl:{u:alice}:default' }],
    });
    expect(headers.get('ratelimit')).toBe('"default";r=4;t=60');
  });

  it('refuses a revoked token with its 401, unauthenticated, charged to the address and not to the principal', async () => {
    const { store, step, context, request } = setup();
    await store.set('{u:alice}:jti:j1', '1', 60_000);
    await expect(step.around(context, authentication(false, []))).rejects.toBe(REFUSAL);
    expect(request.principal).toBeUndefined();
    expect(request.user).toBeUndefined();
    await expect(store.get('rl:{u:alice}:default')).resolves.toBeNull();
    await expect(store.get('rl:{ip:203.0.113.9}:default')).resolves.toBe('1');
  });

  it('leaves revocation to authentication when a subclass overrides charge (it sees every charge as before)', async () => {
    class CustomCharge extends RateLimitStep {
      protected override async charge(...args: Parameters<RateLimitStep['charge']>): Promise<void> {
        await super.charge(...args);
      }
    }
    const { store, step, context } = setup(CustomCharge);
    const single = jest.spyOn(store, 'consumeIfClear');
    const deferred: boolean[] = [];
    await step.around(context, authentication(false, deferred));
    expect(deferred).toEqual([false]);
    expect(single).not.toHaveBeenCalled();
    await expect(store.get('rl:{u:alice}:default')).resolves.toBe('1');
  });

  describe("a cached token's principal (frozen, the same object on every request)", () => {
    const frozen = (id: string) => Object.freeze({ id, authMethod: 'jwt', roles: [], scopes: [] }) as SecurityPrincipal;

    it('builds its counter keys once, and charges its own counter on every request', async () => {
      const { store, step, context } = setup();
      const keys = jest.spyOn(RateLimitStep.prototype as unknown as { generateKey: () => string }, 'generateKey');
      try {
        const alice = frozen('alice');
        for (let i = 0; i < 3; i++)
          await step.around(
            context,
            authentication(false, [], () => alice),
          );
        expect(keys).toHaveBeenCalledTimes(1);
        await expect(store.get('rl:{u:alice}:default')).resolves.toBe('3');
      } finally {
        keys.mockRestore();
      }
    });

    it('never charges one principal on the keys of another (A and B)', async () => {
      const { store, step, context } = setup();
      const alice = frozen('alice');
      const bob = frozen('bob');
      await step.around(
        context,
        authentication(false, [], () => alice),
      );
      await step.around(
        context,
        authentication(false, [], () => bob),
      );
      await step.around(
        context,
        authentication(false, [], () => bob),
      );
      await expect(store.get('rl:{u:alice}:default')).resolves.toBe('1');
      await expect(store.get('rl:{u:bob}:default')).resolves.toBe('2');
    });

    it('asks a principal that is not frozen for its keys on every request', async () => {
      const { store, step, context } = setup();
      const keys = jest.spyOn(RateLimitStep.prototype as unknown as { generateKey: () => string }, 'generateKey');
      try {
        const mutable = { id: 'alice', authMethod: 'jwt', roles: [], scopes: [] } as SecurityPrincipal;
        for (let i = 0; i < 2; i++)
          await step.around(
            context,
            authentication(false, [], () => mutable),
          );
        (mutable as { id: string }).id = 'mallory';
        await step.around(
          context,
          authentication(false, [], () => mutable),
        );
        expect(keys).toHaveBeenCalledTimes(3);
        await expect(store.get('rl:{u:alice}:default')).resolves.toBe('2');
        await expect(store.get('rl:{u:mallory}:default')).resolves.toBe('1');
      } finally {
        keys.mockRestore();
      }
    });

    it("asks a subclass's generateKey on every request: its keys may depend on the request", async () => {
      let tenant = 't1';
      class PerTenant extends RateLimitStep {
        protected override generateKey(context: ExecutionContext, tracker: string, suffix: string): string {
          return `${super.generateKey(context, tracker, suffix)}:${tenant}`;
        }
      }
      const { store, step, context } = setup(PerTenant);
      const alice = frozen('alice');
      await step.around(
        context,
        authentication(false, [], () => alice),
      );
      tenant = 't2';
      await step.around(
        context,
        authentication(false, [], () => alice),
      );
      await expect(store.get('rl:{u:alice}:default:t1')).resolves.toBe('1');
      await expect(store.get('rl:{u:alice}:default:t2')).resolves.toBe('1');
    });
  });
});
