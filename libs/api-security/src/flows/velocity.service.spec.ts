import { randomUUID } from 'node:crypto';
import { describeOnEachStore } from '../../spec-support/session-stores';
import type { SecurityStore } from '../store/security-store';
import { parseFlowLimit } from './flow-limit';
import type { FlowCounting, FlowLimit, FlowPlan } from '../plan/flow-plan';
import { VelocityService, type FlowCounter } from './velocity.service';

const limit = (text: string): FlowLimit => parseFlowLimit(text) as FlowLimit;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function plan(count: FlowCounting, overrides: Partial<FlowPlan> = {}): FlowPlan {
  return {
    name: `flow-${randomUUID().slice(0, 8)}`,
    count,
    perPrincipal: [limit('5/3600s')],
    perIp: [],
    cooldownSeconds: 0,
    ...overrides,
  };
}

const perPrincipal = (flow: FlowPlan, principal: string): FlowCounter[] =>
  flow.perPrincipal.map((l) => ({ scope: 'principal', subject: principal, limit: l }));

describeOnEachStore('VelocityService', (backend) => {
  const service = (store: SecurityStore = backend().instance()) => new VelocityService(store, backend().clock.now);

  it('admits exactly the limit of 40 concurrent requests spread over two instances, and refuses the rest with Retry-After', async () => {
    const a = service();
    const b = service();
    const flow = plan('successes');
    const principal = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).reserve(flow, perPrincipal(flow, principal))),
    );
    expect(results.filter((r) => 'slots' in r)).toHaveLength(5);
    const refused = results.flatMap((r) => ('exceeded' in r ? [r.exceeded] : []));
    expect(refused).toHaveLength(35);
    for (const exceeded of refused) {
      expect(exceeded).toMatchObject({ scope: 'principal', limit: '5/3600s' });
      expect(exceeded.retryAfterSeconds).toBeGreaterThan(3500);
      expect(exceeded.retryAfterSeconds).toBeLessThanOrEqual(3600);
    }
  });

  it('gives back the slots of failed requests (count: successes), so 30 concurrent retries fill the limit again exactly', async () => {
    const velocity = service();
    const flow = plan('successes');
    const principal = randomUUID();
    const first = await Promise.all(
      Array.from({ length: 30 }, () => velocity.reserve(flow, perPrincipal(flow, principal))),
    );
    const tickets = first.flatMap((r) => ('slots' in r ? [velocity.ticket(flow, r.slots)] : []));
    expect(tickets).toHaveLength(5);
    await Promise.all(tickets.slice(0, 3).map((ticket) => ticket.settle('failure')));
    await Promise.all(tickets.slice(3).map((ticket) => ticket.settle('success')));
    const again = await Promise.all(
      Array.from({ length: 30 }, () => velocity.reserve(flow, perPrincipal(flow, principal))),
    );
    expect(again.filter((r) => 'slots' in r)).toHaveLength(3);
  });

  it('keeps the slots of failed requests (count: failures) and gives back successes', async () => {
    const velocity = service();
    const flow = plan('failures', { perPrincipal: [limit('3/3600s')] });
    const principal = randomUUID();
    const take = () => velocity.reserve(flow, perPrincipal(flow, principal));
    for (let i = 0; i < 10; i++) {
      const success = await take();
      expect('slots' in success).toBe(true);
      if ('slots' in success) await velocity.ticket(flow, success.slots).settle('success');
    }
    const failures = await Promise.all(Array.from({ length: 30 }, take));
    const admitted = failures.flatMap((r) => ('slots' in r ? [velocity.ticket(flow, r.slots)] : []));
    expect(admitted).toHaveLength(3);
    await Promise.all(admitted.map((ticket) => ticket.settle('failure')));
    expect('exceeded' in (await take())).toBe(true);
  });

  it('never lets a slot given back after its window ended free a slot of the next window', async () => {
    const velocity = service();
    const flow = plan('successes', { perPrincipal: [limit('3/1s')] });
    const principal = randomUUID();
    const take = () => velocity.reserve(flow, perPrincipal(flow, principal));
    const elapse = (ms: number) => (backend().kind === 'memory' ? backend().clock.advance(ms) : sleep(ms));
    expect('slots' in (await take())).toBe(true);
    await elapse(600);
    // Reserved late in the window; its request ends (and fails) after the window did.
    const late = await take();
    if (!('slots' in late)) throw new Error('the second request must be admitted');
    await elapse(500);
    for (let i = 0; i < 3; i++) expect('slots' in (await take())).toBe(true);
    await velocity.ticket(flow, late.slots).settle('failure');
    expect('exceeded' in (await take())).toBe(true);
  });

  it('gives back the slots taken from the other limits when one is spent', async () => {
    const velocity = service();
    const flow = plan('successes', { perPrincipal: [limit('5/3600s')], perIp: [limit('2/3600s')] });
    const principal = randomUUID();
    const counters = (ip: string): FlowCounter[] => [
      ...perPrincipal(flow, principal),
      { scope: 'ip', subject: ip, limit: flow.perIp[0] },
    ];
    const results = await Promise.all(Array.from({ length: 30 }, () => velocity.reserve(flow, counters('192.0.2.1'))));
    expect(results.filter((r) => 'slots' in r)).toHaveLength(2);
    // 2 of the principal's 5 slots are held; the refused requests gave theirs back.
    const elsewhere = await Promise.all(
      Array.from({ length: 30 }, (_, i) => velocity.reserve(flow, counters(`198.51.100.${i + 1}`))),
    );
    expect(elsewhere.filter((r) => 'slots' in r)).toHaveLength(3);
  });

  it('lets exactly one of 30 concurrent requests take the cooldown', async () => {
    const a = service();
    const b = service();
    const flow = plan('attempts', { perPrincipal: [], cooldownSeconds: 60 });
    const principal = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).acquireCooldown(flow, 'principal', principal)),
    );
    expect(results.filter((r) => 'key' in r)).toHaveLength(1);
    for (const r of results) if ('retryAfterSeconds' in r) expect(r.retryAfterSeconds).toBeGreaterThan(0);
  });
});
