import { randomUUID } from 'node:crypto';
import { accountFailuresKey, accountLockKey } from '../authentication/login-attempts.keys';
import { refreshFamilyKey } from '../authentication/refresh-token.keys';
import { revokedJtiKey, userValidAfterKey } from '../authentication/revocation.keys';
import { challengeUsedKey } from '../flows/flow.keys';
import { consumeIfClearInParts } from '../store/consume-if-clear';
import type {
  ConsumeIfClearRequest,
  ConsumeIfClearResult,
  ConsumeRequest,
  ConsumeResult,
  ReserveRequest,
  SecurityStore,
} from '../store/security-store';

/** Drives time for the suite. Without one, the suite waits in real time. */
export interface ConformanceClock {
  /** Moves the store's clock forward by `ms`. */
  advance(ms: number): void | Promise<void>;
}

/** The matchers the suite uses; Jest's and Vitest's `expect` have them all. */
export interface ConformanceMatchers<R> {
  toBe(expected: unknown): R;
  toEqual(expected: unknown): R;
  toMatchObject(expected: object): R;
  toBeNull(): R;
  toBeUndefined(): R;
  toBeGreaterThan(expected: number): R;
  toBeGreaterThanOrEqual(expected: number): R;
  toBeLessThanOrEqual(expected: number): R;
  toHaveLength(expected: number): R;
  toThrow(expected?: unknown): R;
}

/** What `expect(value)` returns, as far as the suite needs it. */
export interface ConformanceExpectation extends ConformanceMatchers<unknown> {
  resolves: ConformanceMatchers<Promise<unknown>>;
  rejects: ConformanceMatchers<Promise<unknown>>;
}

/**
 * The test-runner functions the suite declares its tests with. Jest, and Vitest with
 * `globals: true`, provide them as globals, which the suite picks up when it is called (never when
 * the kit is imported); with another runner (or Vitest without globals) pass them as `runner`.
 */
export interface ConformanceRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void> | void): unknown;
  beforeAll(body: () => Promise<void> | void): unknown;
  afterAll(body: () => Promise<void> | void): unknown;
  beforeEach(body: () => Promise<void> | void): unknown;
  expect(actual: unknown): ConformanceExpectation;
}

/** How {@link describeSecurityStoreConformance} declares its tests and which cases it runs. */
export interface ConformanceOptions {
  /** The runner's functions; by default the `describe`/`it`/`expect`… globals of Jest or Vitest. */
  runner?: ConformanceRunner;
  /** For stores with an injectable clock: expiry tests advance it instead of sleeping. */
  clock?: ConformanceClock;
  /**
   * For stores with a bound on their keys: builds a fresh store holding at most `maxEntries`. The
   * suite then proves that a spray of counters from twice that many clients never evicts a security
   * record (revocation, "valid after" stamp, lockout, refresh family, used challenge) and that new
   * counters fail closed with a `StoreFullError` (code `ERR_STORE_FULL`) instead.
   */
  bounded?: (maxEntries: number) => Promise<SecurityStore> | SecurityStore;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const shown = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** The runner globals, read when the suite is declared (not when the kit is imported). */
function globalRunner(): ConformanceRunner {
  const scope = globalThis as Partial<Record<keyof ConformanceRunner, unknown>>;
  const names = ['describe', 'it', 'beforeAll', 'afterAll', 'beforeEach', 'expect'] as const;
  const missing = names.filter((name) => typeof scope[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(
      `describeSecurityStoreConformance: no ${missing.join(', ')} global. Call it from a Jest test file ` +
        '(or Vitest with globals: true), or pass { runner: { describe, it, beforeAll, afterAll, beforeEach, expect } }.',
    );
  }
  return scope as ConformanceRunner;
}

/**
 * Declares the behaviour every {@link SecurityStore} must have, as a `describe` block of the test
 * runner: call it at the top level of a test file with a factory of the store under test (a
 * third-party store proves it can replace the memory and Redis stores by passing it).
 * Each test works in its own random key namespace, so runs against a shared Redis never collide,
 * and every key it writes has a TTL of a few seconds at most, so nothing is left behind.
 * Keys the suite passes together to one consume/reserve/getMany call share a `{hash tag}`, except
 * in the getMany tests, which a Redis Cluster store must answer across slots.
 */
export function describeSecurityStoreConformance(
  name: string,
  make: () => Promise<SecurityStore> | SecurityStore,
  opts: ConformanceOptions = {},
): void {
  const { describe, it, beforeAll, afterAll, beforeEach, expect } = opts.runner ?? globalRunner();
  describe(`${name}: SecurityStore conformance`, () => {
    let store: SecurityStore;
    let namespace = '';
    const key = (suffix: string): string => `${namespace}${suffix}`;
    const elapse = (ms: number): Promise<void> => (opts.clock ? Promise.resolve(opts.clock.advance(ms)) : sleep(ms));

    beforeAll(async () => {
      store = await make();
    });

    afterAll(async () => {
      await store.close();
    });

    beforeEach(() => {
      namespace = `conformance:${randomUUID()}:`;
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('increment', () => {
      it('creates a counter at 1 with the given TTL', async () => {
        const state = await store.increment(key('c'), 1000);
        expect(state.value).toBe(1);
        expect(state.ttlMs).toBeGreaterThan(900);
        expect(state.ttlMs).toBeLessThanOrEqual(1000);
        await expect(store.get(key('c'))).resolves.toBe('1');
      });

      it('does not extend the TTL on later increments (fixed window)', async () => {
        await store.increment(key('c'), 400);
        await elapse(150);
        const second = await store.increment(key('c'), 400);
        expect(second.value).toBe(2);
        expect(second.ttlMs).toBeGreaterThan(0);
        expect(second.ttlMs).toBeLessThanOrEqual(260);
        await elapse(300);
        await expect(store.get(key('c'))).resolves.toBeNull();
      });

      it('adds N, including negative amounts', async () => {
        await expect(store.increment(key('c'), 1000, 5)).resolves.toMatchObject({ value: 5 });
        await expect(store.increment(key('c'), 1000, 3)).resolves.toMatchObject({ value: 8 });
        await expect(store.increment(key('c'), 1000, -2)).resolves.toMatchObject({ value: 6 });
        await expect(store.increment(key('c'), 1000)).resolves.toMatchObject({ value: 7 });
      });

      it('restarts from zero after the counter expires', async () => {
        await store.increment(key('c'), 80);
        await store.increment(key('c'), 80);
        await elapse(130);
        await expect(store.get(key('c'))).resolves.toBeNull();
        const fresh = await store.increment(key('c'), 80);
        expect(fresh.value).toBe(1);
        expect(fresh.ttlMs).toBeGreaterThan(60);
      });

      it('counts on from an integer string stored with set, keeping its TTL', async () => {
        await store.set(key('c'), '41', 1000);
        const state = await store.increment(key('c'), 60_000);
        expect(state.value).toBe(42);
        expect(state.ttlMs).toBeLessThanOrEqual(1000);
      });

      it('rejects incrementing a value that is not an integer with a TypeError', async () => {
        await store.set(key('c'), 'not a number', 1000);
        await expect(store.increment(key('c'), 1000)).rejects.toThrow(TypeError);
        await store.set(key('f'), '1.5', 1000);
        await expect(store.increment(key('f'), 1000)).rejects.toThrow(TypeError);
        await expect(store.get(key('c'))).resolves.toBe('not a number');
      });

      it('is atomic: 200 concurrent increments return 1..200 and end at 200', async () => {
        const states = await Promise.all(Array.from({ length: 200 }, () => store.increment(key('c'), 5000)));
        const values = states.map((state) => state.value).sort((a, b) => a - b);
        expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        await expect(store.get(key('c'))).resolves.toBe('200');
      });
    });

    describe('consume (rate-limit counters)', () => {
      const request = (suffix: string, limit: number, extra: Partial<ConsumeRequest> = {}): ConsumeRequest => ({
        key: key(suffix),
        cost: 1,
        limit,
        windowMs: 2000,
        blockMs: 0,
        ...extra,
      });

      it('admits exactly the limit, then refuses until the window ends', async () => {
        const results: ConsumeResult[] = [];
        for (let i = 0; i < 5; i++) results.push((await store.consume([request('w', 3)]))[0]);
        expect(results.map((r) => r.blocked)).toEqual([false, false, false, true, true]);
        expect(results.map((r) => r.hits).slice(0, 3)).toEqual([1, 2, 3]);
        expect(results[0].resetMs).toBeGreaterThan(1500);
        expect(results[0].resetMs).toBeLessThanOrEqual(2000);
        expect(results[3].retryAfterMs).toBeGreaterThan(0);
        expect(results[3].retryAfterMs).toBeLessThanOrEqual(2000);
      });

      it('is exact under concurrency: 60 parallel calls against a limit of 20 admit 20', async () => {
        const all = await Promise.all(Array.from({ length: 60 }, () => store.consume([request('c', 20)])));
        expect(all.filter(([r]) => !r.blocked)).toHaveLength(20);
      });

      it('charges the cost of a request', async () => {
        const [first] = await store.consume([request('cost', 10, { cost: 4 })]);
        expect(first).toMatchObject({ hits: 4, blocked: false });
        await store.consume([request('cost', 10, { cost: 4 })]);
        const [third] = await store.consume([request('cost', 10, { cost: 4 })]);
        expect(third).toMatchObject({ hits: 12, blocked: true });
      });

      it('keeps a counter blocked for blockMs without counting, then admits a new window', async () => {
        const spec = request('b', 1, { windowMs: 200, blockMs: 600 });
        await store.consume([spec]);
        const [over] = await store.consume([spec]);
        expect(over).toMatchObject({ blocked: true });
        expect(over.retryAfterMs).toBeGreaterThan(400);
        await elapse(300);
        const [stillBlocked] = await store.consume([spec]);
        expect(stillBlocked.blocked).toBe(true);
        expect(stillBlocked.retryAfterMs).toBeLessThanOrEqual(400);
        await elapse(400);
        const [fresh] = await store.consume([spec]);
        expect(fresh).toMatchObject({ hits: 1, blocked: false });
      });

      it('charges several counters in one call and answers each on its own', async () => {
        const [a1, b1] = await store.consume([request('{t}:a', 1), request('{t}:b', 5)]);
        expect([a1.blocked, b1.blocked]).toEqual([false, false]);
        const [a2, b2] = await store.consume([request('{t}:a', 1), request('{t}:b', 5)]);
        expect([a2.blocked, b2.blocked]).toEqual([true, false]);
        expect(b2.hits).toBe(2);
      });

      it('restarts the count once the window expires', async () => {
        const spec = request('e', 1, { windowMs: 150 });
        await store.consume([spec]);
        expect((await store.consume([spec]))[0].blocked).toBe(true);
        await elapse(250);
        expect((await store.consume([spec]))[0]).toMatchObject({ hits: 1, blocked: false });
      });

      it('reads a counter without charging it when the cost is 0', async () => {
        const peek = (limit: number) => store.consume([request('peek', limit, { cost: 0 })]);
        await expect(peek(0)).resolves.toEqual([{ hits: 0, resetMs: 0, blocked: false, retryAfterMs: 0 }]);
        await store.consume([request('peek', 3)]);
        await store.consume([request('peek', 3)]);
        const [room] = await peek(2);
        expect(room).toMatchObject({ hits: 2, blocked: false, retryAfterMs: 0 });
        const [full] = await peek(1);
        expect(full).toMatchObject({ hits: 2, blocked: true });
        expect(full.resetMs).toBeGreaterThan(0);
        expect(full.retryAfterMs).toBe(full.resetMs);
        // Nothing was counted by the reads: the third charge is still admitted.
        expect((await store.consume([request('peek', 3)]))[0]).toMatchObject({ hits: 3, blocked: false });
      });

      it('reports a block to a read (cost 0) and never starts one', async () => {
        const spec = request('peekblock', 1, { windowMs: 200, blockMs: 600 });
        await store.consume([{ ...spec, cost: 0, limit: 0 }, spec]);
        const [before] = await store.consume([{ ...spec, cost: 0, limit: 0 }]);
        expect(before).toMatchObject({ hits: 1, blocked: true });
        await store.consume([spec]);
        await elapse(300);
        // The window is over but the block is not: the read still sees it.
        const [during] = await store.consume([{ ...spec, cost: 0 }]);
        expect(during.blocked).toBe(true);
        expect(during.retryAfterMs).toBeGreaterThan(0);
        expect(during.retryAfterMs).toBeLessThanOrEqual(400);
      });

      it('refuses malformed requests with a TypeError before any I/O', async () => {
        await expect(store.consume([{ ...request('x', 1), limit: 0 }])).rejects.toThrow(TypeError);
        await expect(store.consume([{ ...request('x', 1), cost: -1 }])).rejects.toThrow(TypeError);
        await expect(store.consume([{ ...request('x', 1), cost: 0, limit: -1 }])).rejects.toThrow(TypeError);
        await expect(store.consume([{ ...request('x', 1), cost: 1.5 }])).rejects.toThrow(TypeError);
        await expect(store.consume([{ ...request('x', 1), blockMs: -1 }])).rejects.toThrow(TypeError);
        await expect(store.consume([{ ...request('x', 1), key: '' }])).rejects.toThrow(TypeError);
        await expect(store.consume(Array.from({ length: 17 }, (_, i) => request(`m${i}`, 1)))).rejects.toThrow(
          TypeError,
        );
      });
    });

    describe('consumeIfClear (revocation records read with the charge)', () => {
      // A store without the optional method is held to the same answers through the guard's fallback.
      const call = (request: ConsumeIfClearRequest): Promise<ConsumeIfClearResult> =>
        store.consumeIfClear ? store.consumeIfClear(request) : consumeIfClearInParts(store, request);
      const counter = (suffix: string, limit: number): ConsumeRequest => ({
        key: key(`{u}:rl:${suffix}`),
        cost: 1,
        limit,
        windowMs: 2000,
        blockMs: 0,
      });
      const hitsOf = async (suffix: string): Promise<number> =>
        (await store.consume([{ ...counter(suffix, 1), cost: 0, limit: 0 }]))[0].hits;
      const guarded = (suffix: string, limit: number, atMostMs?: number): ConsumeIfClearRequest => ({
        marks: [key('{u}:jti'), key('{u}:sid')],
        ...(atMostMs === undefined ? {} : { stamp: { key: key('{u}:valid-after'), atMostMs } }),
        counters: [counter(`${suffix}:a`, limit), counter(`${suffix}:b`, limit + 1)],
      });

      it('charges every counter when no mark is present, and answers what it read', async () => {
        const result = await call(guarded('clear', 2, 5000));
        expect(result).toMatchObject({ stamp: null, marks: [null, null], vetoed: false });
        expect(result.counters.map((r) => [r.hits, r.blocked])).toEqual([
          [1, false],
          [1, false],
        ]);
        await call(guarded('clear', 2, 5000));
        const third = await call(guarded('clear', 2, 5000));
        expect(third.counters.map((r) => [r.hits, r.blocked])).toEqual([
          [3, true],
          [3, false],
        ]);
      });

      it('charges nothing when a mark is present, whatever its value', async () => {
        await store.set(key('{u}:sid'), 'anything', 2000);
        const result = await call(guarded('marked', 5, 5000));
        expect(result).toMatchObject({ stamp: null, marks: [null, 'anything'], vetoed: true });
        expect(result.counters).toHaveLength(0);
        expect(await hitsOf('marked:a')).toBe(0);
        expect(await hitsOf('marked:b')).toBe(0);
      });

      it('compares the stamp: at most atMostMs is clear, later or not an integer vetoes', async () => {
        await store.set(key('{u}:valid-after'), '5000', 2000);
        await expect(call(guarded('stamp-equal', 5, 5000))).resolves.toMatchObject({ stamp: '5000', vetoed: false });
        await expect(call(guarded('stamp-later', 5, 4999))).resolves.toMatchObject({ stamp: '5000', vetoed: true });
        expect(await hitsOf('stamp-later:a')).toBe(0);
        for (const odd of ['5e3', '1.5', ' 1', 'x', '0x10']) {
          await store.set(key('{u}:valid-after'), odd, 2000);
          const result = await call(guarded(`stamp-odd`, 5, 10_000));
          expect([odd, result.vetoed]).toEqual([odd, true]);
        }
        expect(await hitsOf('stamp-odd:a')).toBe(0);
      });

      it('without a stamp, reads only the marks', async () => {
        await store.set(key('{u}:valid-after'), '99999999999999', 2000);
        await expect(call(guarded('nostamp', 5))).resolves.toMatchObject({ stamp: null, vetoed: false });
      });

      it('is exact under concurrency: 60 parallel calls against a limit of 20 admit 20', async () => {
        const all = await Promise.all(Array.from({ length: 60 }, () => call(guarded('race', 20, 5000))));
        expect(all.filter((result) => !result.vetoed && !result.counters[0].blocked)).toHaveLength(20);
      });

      it('charges none of 30 parallel calls once a mark is present', async () => {
        await store.set(key('{u}:jti'), '1', 2000);
        const all = await Promise.all(Array.from({ length: 30 }, () => call(guarded('revoked', 100, 5000))));
        expect(all.every((result) => result.vetoed && result.counters.length === 0)).toBe(true);
        expect(await hitsOf('revoked:a')).toBe(0);
      });

      it('refuses malformed requests with a TypeError before any I/O', async () => {
        const good = guarded('bad', 1, 5000);
        await expect(call({ ...good, marks: [''] })).rejects.toThrow(TypeError);
        await expect(call({ ...good, stamp: { key: key('{u}:s'), atMostMs: 1.5 } })).rejects.toThrow(TypeError);
        await expect(call({ ...good, counters: [{ ...counter('bad', 1), cost: -1 }] })).rejects.toThrow(TypeError);
      });
    });

    describe('reserve / release (reservations decided before the outcome is known)', () => {
      const spec = (suffix: string, limit: number, extra: Partial<ReserveRequest> = {}): ReserveRequest => ({
        key: key(suffix),
        cost: 1,
        limit,
        windowMs: 2000,
        ...extra,
      });

      it('reserves up to the limit, then refuses without counting', async () => {
        const values: number[] = [];
        for (let i = 0; i < 3; i++) {
          const result = await store.reserve([spec('r', 3)]);
          expect(result.reserved).toBe(true);
          values.push(result.counters[0].value);
        }
        expect(values).toEqual([1, 2, 3]);
        const refused = await store.reserve([spec('r', 3)]);
        expect(refused.reserved).toBe(false);
        expect(refused.counters[0]).toMatchObject({ value: 3, full: true });
        expect(refused.counters[0].resetMs).toBeGreaterThan(1500);
        expect(refused.counters[0].resetMs).toBeLessThanOrEqual(2000);
        await expect(store.get(key('r'))).resolves.toBe('3');
      });

      it('is exact under concurrency: 60 parallel reservations against a limit of 20 take 20, and refusals count nothing', async () => {
        const all = await Promise.all(Array.from({ length: 60 }, () => store.reserve([spec('c', 20)])));
        expect(all.filter((result) => result.reserved)).toHaveLength(20);
        const taken = all.filter((result) => result.reserved).map((result) => result.counters[0].value);
        expect([...taken].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        await expect(store.get(key('c'))).resolves.toBe('20');
      });

      it('is all or nothing over the counters of one call', async () => {
        const pair = () => store.reserve([spec('{t}:a', 1), spec('{t}:b', 5)]);
        expect((await pair()).reserved).toBe(true);
        const refused = await pair();
        expect(refused.reserved).toBe(false);
        expect(refused.counters.map((counter) => counter.full)).toEqual([true, false]);
        expect(refused.counters[1].value).toBe(1);
        await expect(store.getMany([key('{t}:a'), key('{t}:b')])).resolves.toEqual(['1', '1']);
      });

      it('charges the cost, and refuses a cost that does not fit even when units are left', async () => {
        expect((await store.reserve([spec('cost', 10, { cost: 4 })])).counters[0].value).toBe(4);
        expect((await store.reserve([spec('cost', 10, { cost: 4 })])).counters[0].value).toBe(8);
        expect(await store.reserve([spec('cost', 10, { cost: 4 })])).toMatchObject({ reserved: false });
        expect((await store.reserve([spec('cost', 10, { cost: 2 })])).counters[0].value).toBe(10);
      });

      it('with cost 0 only checks: limit 0 refuses while the key holds a positive integer, and creates nothing', async () => {
        const gate = spec('{g}:lock', 0, { cost: 0 });
        const open = await store.reserve([gate, spec('{g}:count', 5)]);
        expect(open.reserved).toBe(true);
        expect(open.counters[0]).toEqual({ value: 0, resetMs: 0, full: false });
        await expect(store.get(key('{g}:lock'))).resolves.toBeNull();
        await store.set(key('{g}:lock'), '1767225600000', 1000);
        const shut = await store.reserve([gate, spec('{g}:count', 5)]);
        expect(shut.reserved).toBe(false);
        expect(shut.counters[0]).toMatchObject({ value: 1767225600000, full: true });
        expect(shut.counters[0].resetMs).toBeGreaterThan(800);
        expect(shut.counters[0].resetMs).toBeLessThanOrEqual(1000);
        await expect(store.get(key('{g}:count'))).resolves.toBe('1');
        await expect(store.get(key('{g}:lock'))).resolves.toBe('1767225600000');
      });

      it('keeps a fixed window and starts a new one after it expires', async () => {
        await store.reserve([spec('w', 1, { windowMs: 150 })]);
        expect((await store.reserve([spec('w', 1, { windowMs: 150 })])).reserved).toBe(false);
        await elapse(250);
        const fresh = await store.reserve([spec('w', 1, { windowMs: 150 })]);
        expect(fresh).toMatchObject({ reserved: true, counters: [{ value: 1, full: false }] });
      });

      it('gives units back with release, so they can be reserved again', async () => {
        const first = await store.reserve([spec('g', 2)]);
        await store.reserve([spec('g', 2)]);
        expect((await store.reserve([spec('g', 2)])).reserved).toBe(false);
        await store.release([{ key: key('g'), cost: 1, resetMs: first.counters[0].resetMs }]);
        await expect(store.get(key('g'))).resolves.toBe('1');
        expect((await store.reserve([spec('g', 2)])).reserved).toBe(true);
      });

      it('never goes below zero and never creates a counter on release', async () => {
        await store.release([{ key: key('absent'), cost: 1, resetMs: 2000 }]);
        await expect(store.get(key('absent'))).resolves.toBeNull();
        const taken = await store.reserve([spec('z', 5)]);
        await store.release([{ key: key('z'), cost: 3, resetMs: taken.counters[0].resetMs }]);
        await expect(store.get(key('z'))).resolves.toBe('0');
        expect((await store.reserve([spec('z', 5, { cost: 5 })])).reserved).toBe(true);
        expect((await store.reserve([spec('z', 5)])).reserved).toBe(false);
      });

      it('leaves a later window alone: a late release does not free a unit the reservation never took', async () => {
        const old = await store.reserve([spec('late', 1, { windowMs: 150 })]);
        await elapse(250);
        expect((await store.reserve([spec('late', 1, { windowMs: 2000 })])).reserved).toBe(true);
        await store.release([{ key: key('late'), cost: 1, resetMs: old.counters[0].resetMs }]);
        await expect(store.get(key('late'))).resolves.toBe('1');
        expect((await store.reserve([spec('late', 1, { windowMs: 2000 })])).reserved).toBe(false);
      });

      it('stays exact when 40 holders give back while 40 others reserve, all at once', async () => {
        const held = await Promise.all(Array.from({ length: 10 }, () => store.reserve([spec('x', 10)])));
        expect(held.every((result) => result.reserved)).toBe(true);
        const [, taken] = await Promise.all([
          Promise.all(
            held.map((result) => store.release([{ key: key('x'), cost: 1, resetMs: result.counters[0].resetMs }])),
          ),
          Promise.all(Array.from({ length: 40 }, () => store.reserve([spec('x', 10)]))),
        ]);
        const value = Number(await store.get(key('x')));
        expect(value).toBe(taken.filter((result) => result.reserved).length);
        expect(value).toBeLessThanOrEqual(10);
        expect(await store.reserve([spec('x', 10, { cost: 10 - value })])).toMatchObject({ reserved: true });
        expect(await store.reserve([spec('x', 10)])).toMatchObject({ reserved: false });
      });

      it('refuses with a TypeError to count a value that is not an integer, and changes nothing', async () => {
        await store.set(key('{n}:bad'), 'garbage', 1000);
        await expect(store.reserve([spec('{n}:ok', 5), spec('{n}:bad', 5, { cost: 0 })])).rejects.toThrow(TypeError);
        await expect(store.release([{ key: key('{n}:bad'), cost: 1, resetMs: 1000 }])).rejects.toThrow(TypeError);
        await expect(store.getMany([key('{n}:ok'), key('{n}:bad')])).resolves.toEqual([null, 'garbage']);
      });

      it('refuses malformed requests with a TypeError before any I/O', async () => {
        await expect(store.reserve([{ ...spec('x', 1), cost: -1 }])).rejects.toThrow(TypeError);
        await expect(store.reserve([{ ...spec('x', 1), limit: 1.5 }])).rejects.toThrow(TypeError);
        await expect(store.reserve([{ ...spec('x', 1), windowMs: 0 }])).rejects.toThrow(TypeError);
        await expect(store.reserve([{ ...spec('x', 1), key: '' }])).rejects.toThrow(TypeError);
        await expect(store.reserve([spec('x', 1), spec('x', 2)])).rejects.toThrow(TypeError);
        await expect(store.reserve(Array.from({ length: 17 }, (_, i) => spec(`m${i}`, 1)))).rejects.toThrow(TypeError);
        await expect(store.release([{ key: key('x'), cost: 0, resetMs: 10 }])).rejects.toThrow(TypeError);
        await expect(store.release([{ key: key('x'), cost: 1, resetMs: -1 }])).rejects.toThrow(TypeError);
        await expect(store.get(key('x'))).resolves.toBeNull();
      });
    });

    describe('setIfAbsent', () => {
      it('stores only the first value', async () => {
        await expect(store.setIfAbsent(key('once'), 'first', 1000)).resolves.toBe(true);
        await expect(store.setIfAbsent(key('once'), 'second', 1000)).resolves.toBe(false);
        await expect(store.get(key('once'))).resolves.toBe('first');
      });

      it('stores again after the previous value expired', async () => {
        await expect(store.setIfAbsent(key('once'), 'first', 80)).resolves.toBe(true);
        await elapse(130);
        await expect(store.setIfAbsent(key('once'), 'second', 1000)).resolves.toBe(true);
        await expect(store.get(key('once'))).resolves.toBe('second');
      });

      it('lets exactly one of many concurrent callers win', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.setIfAbsent(key('once'), `v${i}`, 1000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('get / set / delete', () => {
      it('returns null for an absent key', async () => {
        await expect(store.get(key('absent'))).resolves.toBeNull();
      });

      it('round-trips values exactly, including the empty string and non-ASCII text', async () => {
        await store.set(key('empty'), '', 1000);
        await store.set(key('text'), 'ünïcødé ✓ {"a":1}', 1000);
        await expect(store.get(key('empty'))).resolves.toBe('');
        await expect(store.get(key('text'))).resolves.toBe('ünïcødé ✓ {"a":1}');
      });

      it('replaces the value and the TTL', async () => {
        await store.set(key('v'), 'old', 80);
        await store.set(key('v'), 'new', 1000);
        await elapse(130);
        await expect(store.get(key('v'))).resolves.toBe('new');
      });

      it('expires values after their TTL', async () => {
        await store.set(key('v'), 'short', 80);
        await expect(store.get(key('v'))).resolves.toBe('short');
        await elapse(130);
        await expect(store.get(key('v'))).resolves.toBeNull();
      });

      it('deletes, reporting whether something was deleted', async () => {
        await store.set(key('v'), 'x', 1000);
        await expect(store.delete(key('v'))).resolves.toBe(true);
        await expect(store.get(key('v'))).resolves.toBeNull();
        await expect(store.delete(key('v'))).resolves.toBe(false);
      });

      it('treats an expired key as absent when deleting', async () => {
        await store.set(key('v'), 'x', 50);
        await elapse(100);
        await expect(store.delete(key('v'))).resolves.toBe(false);
      });
    });

    describe('take', () => {
      it('returns the value and deletes it', async () => {
        await store.set(key('t'), 'token', 1000);
        await expect(store.take(key('t'))).resolves.toBe('token');
        await expect(store.get(key('t'))).resolves.toBeNull();
        await expect(store.take(key('t'))).resolves.toBeNull();
      });

      it('returns null for absent and expired keys', async () => {
        await expect(store.take(key('absent'))).resolves.toBeNull();
        await store.set(key('t'), 'token', 50);
        await elapse(100);
        await expect(store.take(key('t'))).resolves.toBeNull();
      });

      it('is atomic: of 50 concurrent takes exactly one gets the value', async () => {
        await store.set(key('t'), 'once', 1000);
        const results = await Promise.all(Array.from({ length: 50 }, () => store.take(key('t'))));
        expect(results.filter((value) => value !== null)).toEqual(['once']);
      });
    });

    describe('getMany', () => {
      it('returns values in the order asked, with null for absent keys', async () => {
        await store.set(key('a'), 'A', 1000);
        await store.set(key('c'), 'C', 1000);
        await store.increment(key('n'), 1000, 3);
        await expect(store.getMany([key('c'), key('b'), key('a'), key('n'), key('a')])).resolves.toEqual([
          'C',
          null,
          'A',
          '3',
          'A',
        ]);
      });

      it('returns an empty list for no keys', async () => {
        await expect(store.getMany([])).resolves.toEqual([]);
      });

      it('leaves out expired values', async () => {
        await store.set(key('a'), 'A', 50);
        await store.set(key('b'), 'B', 1000);
        await elapse(100);
        await expect(store.getMany([key('a'), key('b')])).resolves.toEqual([null, 'B']);
      });
    });

    it('keeps keys isolated, including keys that share a prefix', async () => {
      await store.set(key('a'), 'A', 1000);
      await store.increment(key('ab'), 1000);
      await expect(store.get(key('a'))).resolves.toBe('A');
      await expect(store.get(key('ab'))).resolves.toBe('1');
      await expect(store.get(key('b'))).resolves.toBeNull();
      await store.delete(key('a'));
      await expect(store.get(key('ab'))).resolves.toBe('1');
    });

    describe('argument validation', () => {
      const bad = <T>(value: unknown): T => value as T;

      for (const ttlMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000', undefined]) {
        it(`rejects ttlMs ${shown(ttlMs)} with a TypeError`, async () => {
          await expect(store.increment(key('k'), bad<number>(ttlMs))).rejects.toThrow(TypeError);
          await expect(store.set(key('k'), 'v', bad<number>(ttlMs))).rejects.toThrow(TypeError);
          await expect(store.setIfAbsent(key('k'), 'v', bad<number>(ttlMs))).rejects.toThrow(TypeError);
          await expect(store.get(key('k'))).resolves.toBeNull();
        });
      }

      for (const by of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', null]) {
        it(`rejects by ${shown(by)} with a TypeError`, async () => {
          await expect(store.increment(key('k'), 1000, bad<number>(by))).rejects.toThrow(TypeError);
          await expect(store.get(key('k'))).resolves.toBeNull();
        });
      }

      for (const badKey of ['', 42, null, undefined])
        it(`rejects key ${shown(badKey)} with a TypeError`, async () => {
          const k = bad<string>(badKey);
          await expect(store.increment(k, 1000)).rejects.toThrow(TypeError);
          await expect(store.setIfAbsent(k, 'v', 1000)).rejects.toThrow(TypeError);
          await expect(store.get(k)).rejects.toThrow(TypeError);
          await expect(store.set(k, 'v', 1000)).rejects.toThrow(TypeError);
          await expect(store.take(k)).rejects.toThrow(TypeError);
          await expect(store.delete(k)).rejects.toThrow(TypeError);
          await expect(store.getMany([key('ok'), k])).rejects.toThrow(TypeError);
        });

      it('rejects non-string values and a non-array key list with a TypeError', async () => {
        await expect(store.set(key('k'), bad<string>(42), 1000)).rejects.toThrow(TypeError);
        await expect(store.setIfAbsent(key('k'), bad<string>(null), 1000)).rejects.toThrow(TypeError);
        await expect(store.getMany(bad<string[]>(key('k')))).rejects.toThrow(TypeError);
        await expect(store.get(key('k'))).resolves.toBeNull();
      });
    });

    if (opts.bounded) {
      const bounded = opts.bounded;
      describe('bounded capacity (a spray of new clients never evicts security records)', () => {
        const BOUND = 200;
        const counter = (client: number): ConsumeRequest => ({
          key: `rl:{ip:10.9.${client >> 8}.${client & 255}}:global`,
          cost: 1,
          limit: 100,
          windowMs: 60_000,
          blockMs: 0,
        });
        const isStoreFull = (error: unknown): boolean => (error as { code?: unknown }).code === 'ERR_STORE_FULL';
        const sizeOf = (target: SecurityStore): number | undefined => {
          const size = (target as { size?: unknown }).size;
          return typeof size === 'number' ? size : undefined;
        };

        it(`keeps every security record while counters from ${2 * BOUND} unique clients arrive; new counters fail closed`, async () => {
          const small = await bounded(BOUND);
          try {
            const ns = randomUUID();
            const records = [
              revokedJtiKey(ns, 'jti-revoked'),
              userValidAfterKey(ns),
              accountLockKey(`${ns}-locked`),
              refreshFamilyKey(`${ns}-family`),
              challengeUsedKey(`${ns}-challenge`),
            ];
            await small.set(records[0], '1', 60_000);
            await small.set(records[1], String(Date.now()), 60_000);
            await expect(small.setIfAbsent(records[2], String(Date.now() + 60_000), 60_000)).resolves.toBe(true);
            await small.set(records[3], '{"u":"1"}', 60_000);
            await expect(small.setIfAbsent(records[4], '1', 60_000)).resolves.toBe(true);
            const failures = accountFailuresKey(`${ns}-failing`);
            await expect(
              small.reserve([{ key: failures, cost: 1, limit: 5, windowMs: 60_000 }]),
            ).resolves.toMatchObject({
              reserved: true,
            });

            let refused = 0;
            for (let client = 0; client < 2 * BOUND; client++) {
              try {
                const [result] = await small.consume([counter(client)]);
                expect(result.hits).toBe(1);
              } catch (error) {
                if (!isStoreFull(error)) throw error;
                refused++;
              }
              const size = sizeOf(small);
              if (size !== undefined) expect(size).toBeLessThanOrEqual(BOUND);
            }
            expect(refused).toBeGreaterThanOrEqual(BOUND);

            const stored = await small.getMany(records);
            expect(stored.map((value) => value !== null)).toEqual([true, true, true, true, true]);
            // The lockout counter still counts from where it was: no fresh budget for the attacker.
            await expect(small.get(failures)).resolves.toBe('1');
            // A used challenge stays used.
            await expect(small.setIfAbsent(records[4], '1', 60_000)).resolves.toBe(false);
          } finally {
            await small.close();
          }
        });

        it('refuses a new security record when their space is full, keeping every older one', async () => {
          const small = await bounded(BOUND);
          try {
            const ns = randomUUID();
            const kept: string[] = [];
            let refusal: unknown;
            for (let i = 0; i < 2 * BOUND && refusal === undefined; i++) {
              const revoked = revokedJtiKey(ns, `jti-${i}`);
              try {
                await small.set(revoked, '1', 60_000);
                kept.push(revoked);
              } catch (error) {
                refusal = error;
              }
            }
            expect(isStoreFull(refusal)).toBe(true);
            expect(kept.length).toBeGreaterThan(0);
            const values = await small.getMany(kept);
            expect(values.every((value) => value === '1')).toBe(true);
          } finally {
            await small.close();
          }
        });
      });
    }
  });
}
