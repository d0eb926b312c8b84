import type { SecurityPrincipal } from '../common/security-principal';
import { describeOnEachStore } from '../../spec-support/session-stores';
import type { RoutePlan } from '../plan/route-plan';
import type { RoutePlanRegistry } from '../pipeline/route-plan.registry';
import { MemorySecurityStore } from '../store/memory.store';
import type { FlowPlan } from '../plan/flow-plan';
import { proofOfWorkHash, solveProofOfWork, solvesProofOfWork } from './proof-of-work';
import { ProofOfWorkService } from './proof-of-work.service';

const flow = (name: string, difficulty: number, ttlSeconds = 60): FlowPlan => ({
  name,
  count: 'attempts',
  perPrincipal: [],
  perIp: [],
  cooldownSeconds: 0,
  challenge: { difficulty, ttlSeconds, challengeField: 'challenge', nonceField: 'nonce' },
});

const route = (plan: FlowPlan): RoutePlan => ({
  key: `POST /${plan.name}`,
  method: 'POST',
  path: `/${plan.name}`,
  versions: [],
  controller: 'C',
  handler: plan.name,
  isPublic: false,
  flow: plan,
});

const who = (id: string): SecurityPrincipal => ({ id, roles: ['user'], authMethod: 'jwt', scopes: [] });
const alice = who('alice');
const bob = who('bob');

function setup() {
  let now = Date.UTC(2030, 0, 1);
  const registry = { plans: () => [route(flow('checkout', 2)), route(flow('signup', 1))] };
  const store = new MemorySecurityStore();
  const service = new ProofOfWorkService(store, registry as unknown as RoutePlanRegistry, () => now);
  return { service, store, advance: (ms: number) => (now += ms), now: () => now };
}

/** A nonce that does not solve the challenge. */
function wrongNonce(challenge: string, difficulty: number): string {
  for (let i = 0; ; i++) if (!solvesProofOfWork(challenge, `x${i}`, difficulty)) return `x${i}`;
}

describe('ProofOfWorkService', () => {
  it('issues 128 random bits bound to an expiry, with the flow’s difficulty', async () => {
    const { service, now } = setup();
    const issued = await service.issue(alice, 'checkout');
    expect(issued.challenge).toMatch(/^[0-9a-f]{32}$/);
    expect(issued.difficulty).toBe(2);
    expect(issued.expiresAt).toBe(new Date(now() + 60_000).toISOString());
    expect((await service.issue(alice, 'checkout')).challenge).not.toBe(issued.challenge);
  });

  it('refuses to issue for a flow without a challenge', async () => {
    await expect(setup().service.issue(alice, 'nope')).rejects.toThrow(/No route has @SensitiveFlow\('nope'/);
  });

  it('accepts a right nonce once, then calls it reused', async () => {
    const { service } = setup();
    const { challenge, difficulty } = await service.issue(alice, 'checkout');
    const nonce = solveProofOfWork(challenge, difficulty);
    expect(proofOfWorkHash(challenge, nonce).startsWith('00')).toBe(true);
    expect(await service.verify(alice, 'checkout', challenge, nonce)).toEqual({ ok: true });
    expect(await service.verify(alice, 'checkout', challenge, nonce)).toEqual({
      ok: false,
      reason: 'challenge_reused',
    });
  });

  it('refuses a wrong nonce, and the challenge is spent by it', async () => {
    const { service } = setup();
    const { challenge, difficulty } = await service.issue(alice, 'checkout');
    expect(await service.verify(alice, 'checkout', challenge, wrongNonce(challenge, difficulty))).toEqual({
      ok: false,
      reason: 'pow_failed',
    });
    const nonce = solveProofOfWork(challenge, difficulty);
    expect(await service.verify(alice, 'checkout', challenge, nonce)).toEqual({
      ok: false,
      reason: 'challenge_reused',
    });
  });

  it('refuses another principal’s challenge without spending it', async () => {
    const { service } = setup();
    const { challenge, difficulty } = await service.issue(alice, 'checkout');
    const nonce = solveProofOfWork(challenge, difficulty);
    expect(await service.verify(bob, 'checkout', challenge, nonce)).toEqual({ ok: false, reason: 'challenge_foreign' });
    expect(await service.verify(undefined, 'checkout', challenge, nonce)).toEqual({
      ok: false,
      reason: 'challenge_foreign',
    });
    expect(await service.verify(alice, 'checkout', challenge, nonce)).toEqual({ ok: true });
  });

  it('binds an anonymous challenge to anonymous callers', async () => {
    const { service } = setup();
    const { challenge, difficulty } = await service.issue(null, 'signup');
    const nonce = solveProofOfWork(challenge, difficulty);
    expect(await service.verify(alice, 'signup', challenge, nonce)).toEqual({ ok: false, reason: 'challenge_foreign' });
    expect(await service.verify(undefined, 'signup', challenge, nonce)).toEqual({ ok: true });
  });

  it('refuses a challenge issued for another flow', async () => {
    const { service } = setup();
    const { challenge } = await service.issue(alice, 'signup');
    const nonce = solveProofOfWork(challenge, 2);
    expect(await service.verify(alice, 'checkout', challenge, nonce)).toEqual({
      ok: false,
      reason: 'challenge_other_flow',
    });
  });

  it('refuses an expired challenge (clock moved past expiresAt)', async () => {
    const { service, advance } = setup();
    const { challenge, difficulty } = await service.issue(alice, 'checkout');
    const nonce = solveProofOfWork(challenge, difficulty);
    advance(59_999);
    const early = await service.issue(alice, 'checkout');
    advance(1);
    expect(await service.verify(alice, 'checkout', challenge, nonce)).toEqual({
      ok: false,
      reason: 'challenge_expired',
    });
    // One issued later is still good.
    const later = solveProofOfWork(early.challenge, early.difficulty);
    expect(await service.verify(alice, 'checkout', early.challenge, later)).toEqual({ ok: true });
  });

  it('calls an unknown, never-issued challenge invalid', async () => {
    const { service } = setup();
    expect(await service.verify(alice, 'checkout', 'a'.repeat(32), '1')).toEqual({
      ok: false,
      reason: 'challenge_invalid',
    });
  });

  it.each([
    ['a missing challenge', undefined, '1', 'challenge_missing'],
    ['a null challenge', null, '1', 'challenge_missing'],
    ['a numeric challenge', 12, '1', 'challenge_malformed'],
    ['an array challenge', ['a'], '1', 'challenge_malformed'],
    ['an empty challenge', '', '1', 'challenge_malformed'],
    ['an over-long challenge', 'a'.repeat(129), '1', 'challenge_malformed'],
    ['a missing nonce', 'a'.repeat(32), undefined, 'challenge_malformed'],
    ['a numeric nonce', 'a'.repeat(32), 7, 'challenge_malformed'],
    ['an object nonce', 'a'.repeat(32), { toString: () => '1' }, 'challenge_malformed'],
    ['an empty nonce', 'a'.repeat(32), '', 'challenge_malformed'],
    ['an over-long nonce', 'a'.repeat(32), '1'.repeat(129), 'challenge_malformed'],
    ['an upper-case challenge', 'A'.repeat(32), '1', 'challenge_invalid'],
    ['a challenge with a key suffix', `${'a'.repeat(32)}}:used`, '1', 'challenge_invalid'],
  ])('refuses %s without touching the store', async (_name, challenge, nonce, reason) => {
    const { service, store } = setup();
    const getMany = jest.spyOn(store, 'getMany');
    expect(await service.verify(alice, 'checkout', challenge, nonce)).toEqual({ ok: false, reason });
    expect(getMany).not.toHaveBeenCalled();
  });
});

describeOnEachStore('ProofOfWorkService single use', (backend) => {
  const registry = { plans: () => [route(flow('checkout', 2))] } as unknown as RoutePlanRegistry;
  const instance = () => new ProofOfWorkService(backend().instance(), registry, backend().clock.now);

  it('lets exactly one of 40 concurrent right answers through, over two instances', async () => {
    const a = instance();
    const b = instance();
    const { challenge, difficulty } = await a.issue(alice, 'checkout');
    const nonce = solveProofOfWork(challenge, difficulty);
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? b : a).verify(alice, 'checkout', challenge, nonce)),
    );
    expect(verdicts.filter((v) => v.ok)).toHaveLength(1);
    expect(verdicts.filter((v) => !v.ok && v.reason === 'challenge_reused')).toHaveLength(39);
  });

  it('spends a challenge once when 40 wrong and right answers race: at most one is accepted', async () => {
    const a = instance();
    const b = instance();
    const { challenge, difficulty } = await a.issue(alice, 'checkout');
    const nonce = solveProofOfWork(challenge, difficulty);
    const wrong = wrongNonce(challenge, difficulty);
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? b : a).verify(alice, 'checkout', challenge, i % 3 ? wrong : nonce)),
    );
    expect(verdicts.filter((v) => v.ok || (!v.ok && v.reason === 'pow_failed')).length).toBe(1);
  });
});
