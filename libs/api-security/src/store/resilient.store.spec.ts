import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConsoleLogger } from '@nestjs/common';
import { MemorySecurityStore } from './memory.store';
import { RedisSecurityStore } from './redis.store';
import { ResilientSecurityStore, type SecurityStoreLogger } from './resilient.store';
import type {
  ConsumeRequest,
  ConsumeResult,
  CounterState,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SecurityStore,
} from './security-store';
import { describeSecurityStoreConformance } from '../testing/security-store.conformance';
import { StoreFullError } from './store-full.error';
import { StoreUnavailableError } from './store-unavailable.error';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import { UnhandledErrorsRecorder } from '../../../../test/support/unhandled-errors.recorder';
import { describeWithServices } from '../../../../test/support/services';

/** A memory store that can be switched to failing like an unreachable backend (or with some other error). */
class FlakyStore implements SecurityStore {
  readonly inner = new MemorySecurityStore();
  failure: Error | undefined;
  closed = false;

  increment(key: string, ttlMs: number, by?: number): Promise<CounterState> {
    return this.guard(() => this.inner.increment(key, ttlMs, by));
  }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.guard(() => this.inner.setIfAbsent(key, value, ttlMs));
  }
  get(key: string): Promise<string | null> {
    return this.guard(() => this.inner.get(key));
  }
  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return this.guard(() => this.inner.getMany(keys));
  }
  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.guard(() => this.inner.set(key, value, ttlMs));
  }
  take(key: string): Promise<string | null> {
    return this.guard(() => this.inner.take(key));
  }
  delete(key: string): Promise<boolean> {
    return this.guard(() => this.inner.delete(key));
  }
  consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]> {
    return this.guard(() => this.inner.consume(requests));
  }
  reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult> {
    return this.guard(() => this.inner.reserve(requests));
  }
  release(requests: readonly ReleaseRequest[]): Promise<void> {
    return this.guard(() => this.inner.release(requests));
  }
  ping(): Promise<void> {
    return this.guard(() => this.inner.ping());
  }
  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    return operation();
  }
}

function recordingLogger(): SecurityStoreLogger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    warn: (message) => warnings.push(message),
    log: (message) => infos.push(message),
  };
}

describeSecurityStoreConformance(
  'ResilientSecurityStore (failClosed over memory)',
  () => new ResilientSecurityStore(new MemorySecurityStore()),
);
describeSecurityStoreConformance(
  'ResilientSecurityStore (failOpen over memory)',
  () => new ResilientSecurityStore(new MemorySecurityStore(), { policy: 'failOpen', logger: recordingLogger() }),
);
describeSecurityStoreConformance('ResilientSecurityStore rateLimit view (failOpen over memory)', () =>
  new ResilientSecurityStore(new MemorySecurityStore(), { policy: 'failOpen', logger: recordingLogger() }).forPurpose(
    'rateLimit',
  ),
);
describeSecurityStoreConformance('ResilientSecurityStore revocation view (failOpen over memory)', () =>
  new ResilientSecurityStore(new MemorySecurityStore(), { policy: 'failOpen', logger: recordingLogger() }).forPurpose(
    'revocation',
  ),
);

describe('ResilientSecurityStore.consumeIfClear (revocation records read with a rate-limit charge)', () => {
  const counters = [{ key: 'rl:{u:1}:default', cost: 1, limit: 10, windowMs: 60_000, blockMs: 0 }];
  const records = { marks: ['{u:1}:jti:a'], stamp: { key: '{u:1}:valid-after', atMostMs: 1000 } };

  it('fails closed during an outage through a failOpen rateLimit view: a stand-in would read "not revoked"', async () => {
    const primary = new FlakyStore();
    const store = new ResilientSecurityStore(primary, { policy: 'failOpen', logger: recordingLogger() });
    const view = store.forPurpose('rateLimit');
    const outage = new StoreUnavailableError(new Error('ECONNREFUSED'));
    primary.failure = outage;
    await expect(view.consumeIfClear?.({ ...records, counters })).rejects.toBe(outage);
    // Without records to read it is a plain charge, which the policy may serve from memory.
    await expect(view.consumeIfClear?.({ marks: [], counters })).resolves.toMatchObject({ vetoed: false });
    await store.close();
  });

  it('makes one call on a primary that implements it, and reads then charges on one that does not', async () => {
    const memory = new MemorySecurityStore();
    const single = jest.spyOn(memory, 'consumeIfClear');
    const getMany = jest.spyOn(memory, 'getMany');
    const view = new ResilientSecurityStore(memory, { logger: recordingLogger() }).forPurpose('rateLimit');
    await expect(view.consumeIfClear?.({ ...records, counters })).resolves.toMatchObject({ vetoed: false });
    expect([single.mock.calls.length, getMany.mock.calls.length]).toEqual([1, 0]);

    const flaky = new FlakyStore();
    await flaky.set('{u:1}:jti:a', '1', 60_000);
    const parts = new ResilientSecurityStore(flaky, { logger: recordingLogger() }).forPurpose('rateLimit');
    await expect(parts.consumeIfClear?.({ ...records, counters })).resolves.toEqual({
      stamp: null,
      marks: ['1'],
      vetoed: true,
      counters: [],
    });
    await expect(flaky.inner.get('rl:{u:1}:default')).resolves.toBeNull();
  });

  it('reports the round trips of a primary that counts them, and none otherwise', () => {
    expect(new ResilientSecurityStore(new MemorySecurityStore()).roundTrips).toBeUndefined();
  });
});

describe('ResilientSecurityStore', () => {
  describe('failClosed (default)', () => {
    it('rethrows StoreUnavailableError and logs once per outage', async () => {
      const primary = new FlakyStore();
      const logger = recordingLogger();
      const store = new ResilientSecurityStore(primary, { logger });
      const outage = new StoreUnavailableError(new Error('ECONNREFUSED'));
      primary.failure = outage;

      await expect(store.increment('k', 1000)).rejects.toBe(outage);
      await expect(store.get('k')).rejects.toBe(outage);
      await expect(store.take('k')).rejects.toBe(outage);
      expect(store.degraded).toBe(true);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toContain('failing closed');

      primary.failure = undefined;
      await expect(store.increment('k', 1000)).resolves.toMatchObject({ value: 1 });
      expect(store.degraded).toBe(false);
      expect(logger.infos).toEqual(['Security store available again.']);
      await store.close();
    });
  });

  describe('failOpen', () => {
    it('serves from memory during an outage, warns once, and returns to the primary after', async () => {
      const primary = new FlakyStore();
      const logger = recordingLogger();
      const store = new ResilientSecurityStore(primary, { policy: 'failOpen', logger });
      const counters = store.forPurpose('rateLimit');
      await counters.increment('k', 60_000);
      await counters.increment('k', 60_000);

      primary.failure = new StoreUnavailableError();
      await expect(counters.increment('k', 60_000)).resolves.toMatchObject({ value: 1 });
      await expect(counters.increment('k', 60_000)).resolves.toMatchObject({ value: 2 });
      await expect(counters.setIfAbsent('once', 'v', 60_000)).resolves.toBe(true);
      await expect(counters.setIfAbsent('once', 'v', 60_000)).resolves.toBe(false);
      await expect(counters.take('once')).resolves.toBe('v');
      expect(store.degraded).toBe(true);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toContain('failing open for rateLimit, velocity, alerts');
      expect(logger.warnings[0]).toContain('failing closed for everything else');

      primary.failure = undefined;
      await expect(counters.increment('k', 60_000)).resolves.toMatchObject({ value: 3 });
      expect(store.degraded).toBe(false);
      expect(logger.infos).toHaveLength(1);

      primary.failure = new StoreUnavailableError();
      await counters.get('k');
      expect(logger.warnings).toHaveLength(2);
      await counters.close();
      expect(primary.closed).toBe(false);
      await store.close();
      expect(primary.closed).toBe(true);
    });

    it.each(['revocation', 'refreshToken', 'challenge', 'lockout'] as const)(
      'fails closed for %s: a record written before the outage is never answered by an empty stand-in',
      async (purpose) => {
        const primary = new FlakyStore();
        const store = new ResilientSecurityStore(primary, { policy: 'failOpen', logger: recordingLogger() });
        const records = store.forPurpose(purpose);
        await records.set('{u}:revoked', '1', 60_000);
        await records.reserve([{ key: '{u}:locked', cost: 1, limit: 1, windowMs: 60_000 }]);
        const outage = new StoreUnavailableError();
        primary.failure = outage;

        await expect(records.get('{u}:revoked')).rejects.toBe(outage);
        await expect(records.getMany(['{u}:revoked'])).rejects.toBe(outage);
        await expect(records.take('{u}:revoked')).rejects.toBe(outage);
        await expect(records.setIfAbsent('{u}:once', 'v', 60_000)).rejects.toBe(outage);
        await expect(records.set('{u}:k', 'v', 60_000)).rejects.toBe(outage);
        await expect(records.delete('{u}:k')).rejects.toBe(outage);
        await expect(records.increment('{u}:n', 60_000)).rejects.toBe(outage);
        await expect(records.reserve([{ key: '{u}:locked', cost: 1, limit: 1, windowMs: 60_000 }])).rejects.toBe(
          outage,
        );
        await expect(records.release([{ key: '{u}:locked', cost: 1, resetMs: 60_000 }])).rejects.toBe(outage);
        await expect(records.consume([{ key: '{u}:c', cost: 1, limit: 1, windowMs: 60_000, blockMs: 0 }])).rejects.toBe(
          outage,
        );
        expect(store.degraded).toBe(true);

        primary.failure = undefined;
        await expect(records.get('{u}:revoked')).resolves.toBe('1');
        await store.close();
      },
    );

    it('fails closed for calls made without a purpose (the application’s own use of the store)', async () => {
      const primary = new FlakyStore();
      const store = new ResilientSecurityStore(primary, { policy: 'failOpen', logger: recordingLogger() });
      const outage = new StoreUnavailableError();
      primary.failure = outage;
      await expect(store.increment('k', 60_000)).rejects.toBe(outage);
      await expect(store.get('k')).rejects.toBe(outage);
      await expect(store.consume([{ key: 'c', cost: 1, limit: 1, windowMs: 60_000, blockMs: 0 }])).rejects.toBe(outage);
      await store.close();
    });

    it('opens only the counter purposes named in a per-purpose policy', async () => {
      const primary = new FlakyStore();
      const store = new ResilientSecurityStore(primary, {
        policy: { rateLimit: 'failOpen', velocity: 'failClosed' },
        logger: recordingLogger(),
      });
      const outage = new StoreUnavailableError();
      primary.failure = outage;
      const request = { key: 'c', cost: 1, limit: 1, windowMs: 60_000, blockMs: 0 };
      await expect(store.forPurpose('rateLimit').consume([request])).resolves.toMatchObject([{ blocked: false }]);
      await expect(store.forPurpose('rateLimit').consume([request])).resolves.toMatchObject([{ blocked: true }]);
      await expect(store.forPurpose('velocity').reserve([request])).rejects.toBe(outage);
      await expect(store.forPurpose('alerts').increment('a', 60_000)).rejects.toBe(outage);
      await expect(store.forPurpose('revocation').get('r')).rejects.toBe(outage);
      await store.close();
    });

    it('fails closed for every purpose under failClosed', async () => {
      const primary = new FlakyStore();
      const store = new ResilientSecurityStore(primary, { logger: recordingLogger() });
      const outage = new StoreUnavailableError();
      primary.failure = outage;
      for (const purpose of ['rateLimit', 'velocity', 'alerts', 'revocation'] as const) {
        await expect(store.forPurpose(purpose).increment('k', 60_000)).rejects.toBe(outage);
      }
      await store.close();
    });

    it('gives one view per purpose, whose ping reports the primary', async () => {
      const primary = new FlakyStore();
      const store = new ResilientSecurityStore(primary, { policy: 'failOpen', logger: recordingLogger() });
      expect(store.forPurpose('velocity')).toBe(store.forPurpose('velocity'));
      primary.failure = new StoreUnavailableError();
      await expect(store.forPurpose('velocity').ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(store.degraded).toBe(true);
      await store.close();
    });

    it('refuses an unknown purpose', () => {
      const store = new ResilientSecurityStore(new MemorySecurityStore());
      expect(() => store.forPurpose('sessions' as unknown as 'revocation')).toThrow(/unknown purpose sessions/);
    });

    it('lets other errors through instead of hiding them behind the fallback', async () => {
      const primary = new FlakyStore();
      const store = new ResilientSecurityStore(primary, { policy: 'failOpen', logger: recordingLogger() });
      const bug = new Error('WRONGTYPE');
      primary.failure = bug;
      await expect(store.get('k')).rejects.toBe(bug);
      primary.failure = undefined;
      await expect(store.increment('k', 0)).rejects.toThrow(TypeError);
      expect(store.degraded).toBe(false);
      await store.close();
    });

    it('reports the primary health from ping', async () => {
      const primary = new FlakyStore();
      const logger = recordingLogger();
      const store = new ResilientSecurityStore(primary, { policy: 'failOpen', logger });
      primary.failure = new StoreUnavailableError();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(store.degraded).toBe(true);
      primary.failure = undefined;
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.degraded).toBe(false);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.infos).toHaveLength(1);
      await store.close();
    });

    it('bounds the fallback', async () => {
      const primary = new FlakyStore();
      primary.failure = new StoreUnavailableError();
      const store = new ResilientSecurityStore(primary, {
        policy: 'failOpen',
        fallbackMaxEntries: 10,
        logger: recordingLogger(),
      });
      const counters = store.forPurpose('rateLimit');
      let refused = 0;
      for (let i = 0; i < 50; i++) {
        await counters.set(`k${i}`, 'v', 60_000).catch((error: unknown) => {
          expect(error).toBeInstanceOf(StoreFullError);
          refused++;
        });
      }
      // Full means refused (fail closed), never an older entry dropped.
      expect(refused).toBeGreaterThan(0);
      await expect(counters.get('k0')).resolves.toBe('v');
      await expect(counters.get('k49')).resolves.toBeNull();
      await store.close();
    });
  });

  it('logs through the Nest Logger with the SecurityStore context by default', async () => {
    const warn = jest.spyOn(ConsoleLogger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const primary = new FlakyStore();
      primary.failure = new StoreUnavailableError();
      const store = new ResilientSecurityStore(primary, { policy: 'failOpen' });
      await store.forPurpose('rateLimit').get('k');
      await store.forPurpose('velocity').get('k');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('unavailable'), 'SecurityStore');
      await store.close();
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects an unknown policy', () => {
    expect(
      () => new ResilientSecurityStore(new MemorySecurityStore(), { policy: 'ignore' as unknown as 'failOpen' }),
    ).toThrow(TypeError);
  });

  it.each([
    [{ revocation: 'failOpen' }, /onUnavailable\.revocation: revocation always fails closed/],
    [{ lockout: 'failClosed' }, /onUnavailable\.lockout: lockout always fails closed/],
    [{ ratelimit: 'failOpen' }, /unknown purpose 'ratelimit': only rateLimit, velocity, alerts/],
    [{ velocity: 'open' }, /onUnavailable\.velocity must be 'failClosed' or 'failOpen'/],
  ])('rejects the per-purpose policy %p', (policy, message) => {
    expect(
      () => new ResilientSecurityStore(new MemorySecurityStore(), { policy: policy as unknown as 'failOpen' }),
    ).toThrow(message);
  });
});

describeWithServices('ResilientSecurityStore over Redis', ['redis'], ({ redis: redisUrl }) => {
  describeSecurityStoreConformance(
    'ResilientSecurityStore (failOpen over Redis)',
    () =>
      new ResilientSecurityStore(new RedisSecurityStore({ url: redisUrl }), {
        policy: 'failOpen',
        logger: recordingLogger(),
      }),
  );

  describe('ResilientSecurityStore over Redis during an outage', () => {
    const target = new URL(redisUrl);
    const targetHost = target.hostname.replace(/^\[|\]$/g, '');
    const targetPort = Number(target.port || 6379);
    const proxies: TcpProxy[] = [];
    const stores: SecurityStore[] = [];
    const recorder = new UnhandledErrorsRecorder();
    let key = '';

    const startProxy = async (port?: number): Promise<TcpProxy> => {
      const proxy = await TcpProxy.start({ targetHost, targetPort, port });
      proxies.push(proxy);
      return proxy;
    };

    const resilientThrough = (proxy: TcpProxy, policy: 'failOpen' | 'failClosed'): ResilientSecurityStore => {
      const url = new URL(redisUrl);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const redis = new RedisSecurityStore({ url: url.toString(), connectTimeoutMs: 300, commandTimeoutMs: 300 });
      const store = new ResilientSecurityStore(redis, { policy, logger: recordingLogger() });
      stores.push(store);
      return store;
    };

    const eventually = async <T>(attempt: () => Promise<T>, withinMs: number): Promise<T> => {
      const started = performance.now();
      for (;;) {
        try {
          return await attempt();
        } catch (error) {
          if (performance.now() - started > withinMs) {
            throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    };

    beforeAll(() => {
      recorder.start();
    });

    beforeEach(() => {
      key = `resilient:${randomUUID()}`;
    });

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await Promise.all(proxies.splice(0).map((proxy) => proxy.kill()));
    });

    afterAll(() => {
      recorder.stop();
      expect(recorder.errors).toEqual([]);
    });

    it('failClosed rethrows StoreUnavailableError', async () => {
      const proxy = await startProxy();
      const store = resilientThrough(proxy, 'failClosed');
      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 1 });
      await proxy.kill();
      await expect(store.increment(key, 10_000)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.get(key)).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('failOpen counts locally during the outage and goes back to Redis after recovery', async () => {
      const proxy = await startProxy();
      const store = resilientThrough(proxy, 'failOpen');
      const counters = store.forPurpose('rateLimit');
      await expect(counters.increment(key, 10_000)).resolves.toMatchObject({ value: 1 });
      await proxy.kill();

      await expect(counters.increment(key, 10_000)).resolves.toMatchObject({ value: 1 });
      await expect(counters.increment(key, 10_000)).resolves.toMatchObject({ value: 2 });
      await expect(counters.increment(key, 10_000)).resolves.toMatchObject({ value: 3 });
      expect(store.degraded).toBe(true);

      await startProxy(proxy.port);
      await eventually(() => store.ping(), 3000);
      expect(store.degraded).toBe(false);
      // Redis still holds its own count from before the outage.
      await expect(counters.increment(key, 10_000)).resolves.toMatchObject({ value: 2 });
    });

    it('failOpen still refuses security records during the outage, and serves them from Redis after', async () => {
      const proxy = await startProxy();
      const store = resilientThrough(proxy, 'failOpen');
      const revocations = store.forPurpose('revocation');
      await revocations.set(`${key}:jti`, '1', 10_000);
      await proxy.kill();

      const during = await Promise.allSettled(Array.from({ length: 30 }, () => revocations.get(`${key}:jti`)));
      expect(during.map((outcome) => outcome.status)).toEqual(Array(30).fill('rejected'));
      for (const outcome of during) {
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      }

      await startProxy(proxy.port);
      await eventually(() => store.ping(), 3000);
      await expect(revocations.get(`${key}:jti`)).resolves.toBe('1');
    });
  });
});
