import { MemorySecurityStore } from './memory.store';
import { describeSecurityStoreConformance } from './security-store.conformance';

describeSecurityStoreConformance('MemorySecurityStore', () => new MemorySecurityStore());

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

  it('stays within maxEntries, evicting the oldest entries first', async () => {
    const store = new MemorySecurityStore({ maxEntries: 1000, now: clock });
    for (let i = 0; i < 5000; i++) {
      await store.set(`k${i}`, String(i), 60_000);
      expect(store.size).toBeLessThanOrEqual(1000);
    }
    expect(store.size).toBe(1000);
    await expect(store.get('k0')).resolves.toBeNull();
    await expect(store.get('k3999')).resolves.toBeNull();
    await expect(store.get('k4000')).resolves.toBe('4000');
    await expect(store.get('k4999')).resolves.toBe('4999');
  });

  it('counts set() on an existing key as a new insertion for eviction order', async () => {
    const store = new MemorySecurityStore({ maxEntries: 3, now: clock });
    await store.set('a', '1', 60_000);
    await store.set('b', '1', 60_000);
    await store.set('c', '1', 60_000);
    await store.set('a', '2', 60_000);
    await store.set('d', '1', 60_000);
    await expect(store.getMany(['a', 'b', 'c', 'd'])).resolves.toEqual(['2', null, '1', '1']);
  });

  it('drops expired entries before evicting live ones when full', async () => {
    const store = new MemorySecurityStore({ maxEntries: 10, now: clock });
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

  it.each([0, -1, 1.5, Number.NaN])('rejects maxEntries %p', (maxEntries) => {
    expect(() => new MemorySecurityStore({ maxEntries })).toThrow(TypeError);
  });
});
