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
import { describeSecurityStoreConformance } from './security-store.conformance';
import { StoreFullError } from './store-full.error';
import { StoreUnavailableError } from './store-unavailable.error';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import { UnhandledErrorsRecorder } from '../../../../test/support/unhandled-errors.recorder';

const REDIS_URL = process.env.REDIS_URL;

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
      await store.increment('k', 60_000);
      await store.increment('k', 60_000);

      primary.failure = new StoreUnavailableError();
      await expect(store.increment('k', 60_000)).resolves.toMatchObject({ value: 1 });
      await expect(store.increment('k', 60_000)).resolves.toMatchObject({ value: 2 });
      await expect(store.setIfAbsent('once', 'v', 60_000)).resolves.toBe(true);
      await expect(store.setIfAbsent('once', 'v', 60_000)).resolves.toBe(false);
      await expect(store.take('once')).resolves.toBe('v');
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toContain('failing open');

      primary.failure = undefined;
      await expect(store.increment('k', 60_000)).resolves.toMatchObject({ value: 3 });
      expect(logger.infos).toHaveLength(1);

      primary.failure = new StoreUnavailableError();
      await store.get('k');
      expect(logger.warnings).toHaveLength(2);
      await store.close();
      expect(primary.closed).toBe(true);
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
      let refused = 0;
      for (let i = 0; i < 50; i++) {
        await store.set(`k${i}`, 'v', 60_000).catch((error: unknown) => {
          expect(error).toBeInstanceOf(StoreFullError);
          refused++;
        });
      }
      // Full means refused (fail closed), never an older entry dropped.
      expect(refused).toBeGreaterThan(0);
      await expect(store.get('k0')).resolves.toBe('v');
      await expect(store.get('k49')).resolves.toBeNull();
      await store.close();
    });
  });

  it('logs through the Nest Logger with the SecurityStore context by default', async () => {
    const warn = jest.spyOn(ConsoleLogger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const primary = new FlakyStore();
      primary.failure = new StoreUnavailableError();
      const store = new ResilientSecurityStore(primary, { policy: 'failOpen' });
      await store.get('k');
      await store.get('k');
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

  if (!REDIS_URL) {
    it('needs REDIS_URL to run against Redis (set by .ci/run)', () => expect(process.env.REDIS_URL).toBeUndefined());
  }
});

if (REDIS_URL) {
  const redisUrl = REDIS_URL;

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
      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 1 });
      await proxy.kill();

      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 1 });
      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 2 });
      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 3 });
      expect(store.degraded).toBe(true);

      await startProxy(proxy.port);
      await eventually(() => store.ping(), 3000);
      expect(store.degraded).toBe(false);
      // Redis still holds its own count from before the outage.
      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 2 });
    });
  });
}
