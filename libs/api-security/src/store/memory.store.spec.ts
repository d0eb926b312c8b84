import { accountFailuresKey, accountLockKey } from '../authentication/login-attempts.keys';
import { refreshFamilyKey } from '../authentication/refresh-token.keys';
import { revokedJtiKey, userValidAfterKey } from '../authentication/revocation.keys';
import { challengeUsedKey } from '../flows/flow.keys';
import { MemorySecurityStore } from './memory.store';
import { StoreFullError } from './store-full.error';
import { describeSecurityStoreConformance } from '../testing/security-store.conformance';

describeSecurityStoreConformance('MemorySecurityStore', () => new MemorySecurityStore(), {
  bounded: (maxEntries) => new MemorySecurityStore({ maxEntries }),
});

let fakeNow = 1_000;
describeSecurityStoreConformance(
  'MemorySecurityStore with an injected clock',
  () => new MemorySecurityStore({ now: () => fakeNow }),
  {
    clock: {
      advance: (ms) => {
        fakeNow += ms;
      },
    },
  },
);

describe('MemorySecurityStore', () => {
  let now = 0;
  const clock = (): number => now;

  beforeEach(() => {
    now = 10_000;
  });

  const rl = (client: number): string =>
    `rl:{ip:10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}}:global`;
  const consumeOne = (store: MemorySecurityStore, key: string) =>
    store.consume([{ key, cost: 1, limit: 100, windowMs: 60_000, blockMs: 0 }]);

  it('keeps a block marker through more counters than it remembers block-marker keys for', async () => {
    const store = new MemorySecurityStore({ now: clock });
    const blocking = { key: rl(0), cost: 1, limit: 1, windowMs: 1_000, blockMs: 60_000 };
    await store.consume([blocking]);
    await expect(store.consume([blocking])).resolves.toMatchObject([{ blocked: true, retryAfterMs: 60_000 }]);
    // Past the memo's bound (10,000 keys) it starts again; the markers themselves stay in the store.
    for (let client = 1; client <= 10_050; client++) {
      await store.consume([
        { ...blocking, key: rl(client) },
        { ...blocking, key: rl(client) },
      ]);
    }
    now += 2_000; // the counter's window is over; the block is not
    await expect(store.consume([blocking])).resolves.toMatchObject([{ blocked: true, retryAfterMs: 58_000 }]);
    await expect(store.consume([{ ...blocking, key: rl(10_050) }])).resolves.toMatchObject([{ blocked: true }]);
    now += 58_000;
    await expect(store.consume([blocking])).resolves.toMatchObject([{ blocked: false, hits: 1 }]);
  });

  it('stays within maxEntries and never evicts a live entry: a new key is refused instead', async () => {
    const store = new MemorySecurityStore({ maxEntries: 1000, now: clock });
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      try {
        await store.set(`k${i}`, String(i), 60_000);
      } catch (error) {
        expect(error).toBeInstanceOf(StoreFullError);
        expect(error).toMatchObject({ capacity: 'security', status: 503, code: 'ERR_STORE_FULL' });
        refused++;
      }
      expect(store.size).toBeLessThanOrEqual(1000);
    }
    // Half the bound is kept for security records (unknown keys count as such), half for counters.
    expect(store.usage).toEqual({ counters: 0, securityRecords: 500 });
    expect(refused).toBe(4500);
    await expect(store.get('k0')).resolves.toBe('0');
    await expect(store.get('k499')).resolves.toBe('499');
    await expect(store.get('k500')).resolves.toBeNull();
  });

  it('overwrites an existing key in a full space (set frees its own slot first)', async () => {
    const store = new MemorySecurityStore({ maxEntries: 6, now: clock });
    await store.set('a', '1', 60_000);
    await store.set('b', '1', 60_000);
    await store.set('c', '1', 60_000);
    await store.set('a', '2', 60_000);
    await expect(store.set('d', '1', 60_000)).rejects.toBeInstanceOf(StoreFullError);
    await expect(store.getMany(['a', 'b', 'c', 'd'])).resolves.toEqual(['2', '1', '1', null]);
  });

  it('reclaims expired entries before refusing when full', async () => {
    const store = new MemorySecurityStore({ maxEntries: 20, now: clock });
    for (let i = 0; i < 5; i++) {
      await store.set(`long${i}`, 'L', 60_000);
    }
    for (let i = 0; i < 5; i++) {
      await store.set(`short${i}`, 'S', 100);
    }
    now += 200;
    for (let i = 0; i < 5; i++) {
      await store.set(`new${i}`, 'N', 60_000);
    }
    await expect(store.getMany(['long0', 'long1', 'long2', 'long3', 'long4'])).resolves.toEqual(Array(5).fill('L'));
    await expect(store.getMany(['new0', 'new4'])).resolves.toEqual(['N', 'N']);
    expect(store.size).toBe(10);
  });

  it('keeps security records when counters from twice the bound of clients arrive; new counters fail closed', async () => {
    const store = new MemorySecurityStore({ maxEntries: 200, now: clock });
    await store.set(revokedJtiKey('u1', 'jti-1'), '1', 60_000);
    await store.set(userValidAfterKey('u2'), String(Date.now()), 60_000);
    await expect(store.setIfAbsent(accountLockKey('acct'), '1', 60_000)).resolves.toBe(true);
    await store.reserve([{ key: accountFailuresKey('acct2'), cost: 1, limit: 5, windowMs: 60_000 }]);
    await expect(store.setIfAbsent(challengeUsedKey('ch'), '1', 60_000)).resolves.toBe(true);
    await store.set(refreshFamilyKey('fam'), '{}', 60_000);
    const admitted: number[] = [];
    for (let i = 0; i < 400; i++) {
      try {
        await consumeOne(store, rl(i));
        admitted.push(i);
      } catch (error) {
        expect(error).toMatchObject({ capacity: 'counter', status: 429, owner: 'anonymous' });
      }
      expect(store.size).toBeLessThanOrEqual(200);
    }
    // 100 counter slots, 90% of which anonymous clients may take.
    expect(admitted).toHaveLength(90);
    await expect(
      store.getMany([
        revokedJtiKey('u1', 'jti-1'),
        accountLockKey('acct'),
        accountFailuresKey('acct2'),
        challengeUsedKey('ch'),
        refreshFamilyKey('fam'),
      ]),
    ).resolves.toEqual(['1', '1', '1', '1', '{}']);
    await expect(store.get(userValidAfterKey('u2'))).resolves.not.toBeNull();
    // A client that already holds a counter keeps being counted; a principal still finds room.
    await expect(consumeOne(store, rl(0))).resolves.toMatchObject([{ hits: 2, blocked: false }]);
    await expect(consumeOne(store, 'rl:{p:user-1}:global')).resolves.toMatchObject([{ hits: 1 }]);
    // A known client whose window ended gets its slot back for the next window.
    now += 60_001;
    await expect(consumeOne(store, rl(1))).resolves.toMatchObject([{ hits: 1 }]);
  });

  it('refuses new security records with 503 when their space is full, never dropping an old one', async () => {
    const store = new MemorySecurityStore({ maxEntries: 20, maxCounterEntries: 10, now: clock });
    for (let i = 0; i < 10; i++) await store.set(revokedJtiKey('u', `j${i}`), '1', 60_000);
    await expect(store.set(refreshFamilyKey('new-session'), '{}', 60_000)).rejects.toMatchObject({
      capacity: 'security',
      status: 503,
    });
    await expect(
      store.reserve([{ key: accountFailuresKey('new-login'), cost: 1, limit: 5, windowMs: 60_000 }]),
    ).rejects.toBeInstanceOf(StoreFullError);
    for (let i = 0; i < 10; i++) await expect(store.get(revokedJtiKey('u', `j${i}`))).resolves.toBe('1');
    // Counters have their own space: still served.
    await expect(consumeOne(store, 'rl:{p:user-1}:global')).resolves.toMatchObject([{ hits: 1 }]);
  });

  it('charges nothing when one counter of a call does not fit (all or nothing)', async () => {
    const store = new MemorySecurityStore({ maxEntries: 4, maxCounterEntries: 2, now: clock });
    await consumeOne(store, 'rl:{p:a}:global');
    await expect(
      store.consume([
        { key: 'rl:{p:a}:global', cost: 1, limit: 100, windowMs: 60_000, blockMs: 0 },
        { key: 'rl:{p:a}:x', cost: 1, limit: 100, windowMs: 60_000, blockMs: 0 },
        { key: 'rl:{p:a}:y', cost: 1, limit: 100, windowMs: 60_000, blockMs: 0 },
      ]),
    ).rejects.toBeInstanceOf(StoreFullError);
    await expect(store.get('rl:{p:a}:global')).resolves.toBe('1');
  });

  it('answers 503 for a full counter space under whenCountersFull: serviceUnavailable', async () => {
    const store = new MemorySecurityStore({ maxEntries: 4, whenCountersFull: 'serviceUnavailable', now: clock });
    await consumeOne(store, 'rl:{p:a}:global');
    await consumeOne(store, 'rl:{p:b}:global');
    await expect(consumeOne(store, 'rl:{p:c}:global')).rejects.toMatchObject({ status: 503 });
  });

  it('sweeps expired entries incrementally on writes, without timers', async () => {
    const store = new MemorySecurityStore({ now: clock });
    for (let i = 0; i < 100; i++) {
      await store.set(`old${i}`, 'x', 50);
    }
    now += 100;
    // Each write checks a handful of entries, so 100 expired ones are gone after a few dozen writes.
    for (let i = 0; i < 20; i++) {
      await store.increment(`live${i}`, 60_000);
    }
    expect(store.size).toBe(20);
  });

  it('removes an expired entry when it is read', async () => {
    const store = new MemorySecurityStore({ now: clock });
    await store.set('k', 'v', 50);
    expect(store.size).toBe(1);
    now += 50;
    await expect(store.get('k')).resolves.toBeNull();
    expect(store.size).toBe(0);
  });

  it('reports the remaining TTL from the injected clock', async () => {
    const store = new MemorySecurityStore({ now: clock });
    await expect(store.increment('c', 1000)).resolves.toEqual({ value: 1, ttlMs: 1000 });
    now += 999;
    await expect(store.increment('c', 1000)).resolves.toEqual({ value: 2, ttlMs: 1 });
    now += 1;
    await expect(store.increment('c', 1000)).resolves.toEqual({ value: 1, ttlMs: 1000 });
  });

  it('clears everything on close', async () => {
    const store = new MemorySecurityStore({ now: clock });
    await store.set('a', '1', 1000);
    await store.increment('b', 1000);
    await store.close();
    expect(store.size).toBe(0);
    await expect(store.get('a')).resolves.toBeNull();
  });

  it.each([0, -1, 1, 1.5, Number.NaN])('rejects maxEntries %p', (maxEntries) => {
    expect(() => new MemorySecurityStore({ maxEntries })).toThrow(TypeError);
  });

  it.each([0, 10, 11, 2.5])('rejects maxCounterEntries %p with maxEntries 10', (maxCounterEntries) => {
    expect(() => new MemorySecurityStore({ maxEntries: 10, maxCounterEntries })).toThrow(/maxCounterEntries/);
  });

  it('rejects an unknown whenCountersFull', () => {
    expect(() => new MemorySecurityStore({ whenCountersFull: 'pass' as unknown as 'tooManyRequests' })).toThrow(
      /whenCountersFull/,
    );
  });
});
