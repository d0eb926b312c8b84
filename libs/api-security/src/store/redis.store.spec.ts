import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { RedisSecurityStore } from './redis.store';
import type { SecurityStore } from './security-store';
import { describeSecurityStoreConformance } from '../testing/security-store.conformance';
import { StoreUnavailableError } from './store-unavailable.error';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import { UnhandledErrorsRecorder } from '../../../../test/support/unhandled-errors.recorder';
import { unusedPort } from '../../../../test/support/unused-port';
import { describeWithServices } from '../../../../test/support/services';

const CONNECT_TIMEOUT_MS = 300;
const COMMAND_TIMEOUT_MS = 300;
const FAST = { connectTimeoutMs: CONNECT_TIMEOUT_MS, commandTimeoutMs: COMMAND_TIMEOUT_MS };
/** The most any operation may take while the server is gone: the spec's outage budget. */
const OUTAGE_BUDGET_MS = CONNECT_TIMEOUT_MS + COMMAND_TIMEOUT_MS + 500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Operation = readonly [name: string, run: (store: SecurityStore, key: string) => Promise<unknown>];
const OPERATIONS: readonly Operation[] = [
  ['increment', (store, key) => store.increment(key, 1000)],
  ['setIfAbsent', (store, key) => store.setIfAbsent(key, 'v', 1000)],
  ['get', (store, key) => store.get(key)],
  ['getMany', (store, key) => store.getMany([key, `${key}:2`])],
  ['set', (store, key) => store.set(key, 'v', 1000)],
  ['take', (store, key) => store.take(key)],
  ['delete', (store, key) => store.delete(key)],
  ['ping', (store) => store.ping()],
];

/** Runs `run` and returns what it rejected with (or the fulfilment marker) and how long it took. */
async function timed(run: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  const error = await run().then(
    () => 'fulfilled',
    (reason: unknown) => reason,
  );
  return { error, elapsedMs: performance.now() - started };
}

describe('RedisSecurityStore (no server needed)', () => {
  it('rejects with StoreUnavailableError quickly when nothing listens on the port', async () => {
    const port = await unusedPort();
    const store = new RedisSecurityStore({ url: `redis://127.0.0.1:${port}`, ...FAST });
    try {
      for (const [, run] of OPERATIONS) {
        const { error, elapsedMs } = await timed(() => run(store, 'k'));
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(elapsedMs).toBeLessThan(OUTAGE_BUDGET_MS);
      }
    } finally {
      await store.close();
    }
  });

  it('keeps the URL and password out of the error message', async () => {
    const port = await unusedPort();
    const store = new RedisSecurityStore({ url: `redis://user:s3cret-pass@127.0.0.1:${port}`, ...FAST });
    try {
      const error = await store.get('k').catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      const unavailable = error as StoreUnavailableError;
      expect(unavailable.message).toBe('The security state store is unavailable.');
      expect(unavailable.code).toBe('ERR_STORE_UNAVAILABLE');
      expect(unavailable.cause).toBeInstanceOf(Error);
      expect(`${unavailable.message} ${String(unavailable.cause)}`).not.toContain('s3cret-pass');
    } finally {
      await store.close();
    }
  });

  it('rejects bad arguments with TypeError before any I/O', async () => {
    const port = await unusedPort();
    const store = new RedisSecurityStore({ url: `redis://127.0.0.1:${port}`, ...FAST });
    try {
      await expect(store.increment('', 1000)).rejects.toThrow(TypeError);
      await expect(store.set('k', 'v', 0)).rejects.toThrow(TypeError);
      await expect(store.getMany([])).resolves.toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('validates its options without echoing the URL', () => {
    expect(() => new RedisSecurityStore({ url: 'http://user:s3cret@host' })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.not.stringContaining('s3cret') }),
    );
    expect(() => new RedisSecurityStore({ url: 'redis://localhost', keyPrefix: '{app}:' })).toThrow(TypeError);
    expect(() => new RedisSecurityStore({ url: 'redis://localhost', commandTimeoutMs: 0 })).toThrow(TypeError);
    expect(() => new RedisSecurityStore({ url: 'redis://localhost', connectTimeoutMs: 1.5 })).toThrow(TypeError);
  });

  it('does not connect before first use, and closes cleanly', async () => {
    const store = new RedisSecurityStore({ url: 'redis://127.0.0.1:1', ...FAST });
    await store.close();
    await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describeWithServices('RedisSecurityStore over Redis', ['redis'], ({ redis: redisUrl }) => {
  describeSecurityStoreConformance('RedisSecurityStore', () => new RedisSecurityStore({ url: redisUrl }));

  describe('RedisSecurityStore on a client owned by the application', () => {
    // A default client: offline queue on, no command timeout, so the store's own deadline applies.
    // Created in a hook, not while declaring, so a suite skipped for want of Redis opens nothing.
    let client: Redis;
    beforeAll(() => {
      client = new Redis(redisUrl);
    });
    afterAll(async () => {
      await client.quit();
    });

    describeSecurityStoreConformance('RedisSecurityStore (injected client)', () => new RedisSecurityStore(client));

    it('leaves the client open on close', async () => {
      const store = new RedisSecurityStore(client, { keyPrefix: 'injected:' });
      await store.set(`t:${randomUUID()}`, 'v', 1000);
      await store.close();
      await expect(client.ping()).resolves.toBe('PONG');
    });
  });

  describe('RedisSecurityStore key layout and scripts', () => {
    let raw: Redis;
    const stores: SecurityStore[] = [];
    const ns = `layout:${randomUUID()}:`;
    beforeAll(() => {
      raw = new Redis(redisUrl);
    });
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await raw.quit();
    });

    it('counts one round trip per operation, a consumeIfClear included, and none for closed or invalid calls', async () => {
      const store = new RedisSecurityStore({ url: redisUrl });
      stores.push(store);
      expect(store.roundTrips).toBe(0);
      await store.set(`{${ns}u}:jti`, '1', 1000);
      await store.getMany([`{${ns}u}:jti`, `{${ns}other}:x`]);
      const counters = [{ key: `rl:{${ns}u}:a`, cost: 1, limit: 5, windowMs: 1000, blockMs: 0 }];
      await store.consumeIfClear({ marks: [`{${ns}u}:jti`], counters });
      await store.consumeIfClear({ marks: [], stamp: { key: `{${ns}u}:va`, atMostMs: 1 }, counters });
      expect(store.roundTrips).toBe(4);
      await expect(store.consume([{ ...counters[0], cost: -1 }])).rejects.toThrow(TypeError);
      expect(store.roundTrips).toBe(4);
    });

    it('puts the default prefix outside the caller hash tag and sets TTLs', async () => {
      const store = new RedisSecurityStore({ url: redisUrl });
      stores.push(store);
      await store.set(`{${ns}user:1}:jti`, 'v', 1000);
      await store.increment(`{${ns}user:1}:n`, 2000);
      await expect(raw.get(`api-security:{${ns}user:1}:jti`)).resolves.toBe('v');
      const ttl = await raw.pttl(`api-security:{${ns}user:1}:n`);
      expect(ttl).toBeGreaterThan(1500);
      expect(ttl).toBeLessThanOrEqual(2000);
    });

    it('applies a custom prefix to every operation', async () => {
      const store = new RedisSecurityStore({ url: redisUrl, keyPrefix: `custom:${ns}` });
      stores.push(store);
      await store.set('a', 'A', 1000);
      await expect(raw.get(`custom:${ns}a`)).resolves.toBe('A');
      await expect(store.getMany(['a'])).resolves.toEqual(['A']);
      await expect(store.take('a')).resolves.toBe('A');
      await expect(raw.exists(`custom:${ns}a`)).resolves.toBe(0);
    });

    it('re-sends the increment script when the server lost it (EVALSHA falls back to EVAL)', async () => {
      const store = new RedisSecurityStore({ url: redisUrl });
      stores.push(store);
      await store.increment(`${ns}s`, 1000);
      await raw.script('FLUSH');
      await expect(store.increment(`${ns}s`, 1000)).resolves.toMatchObject({ value: 2 });
    });
  });

  describe('RedisSecurityStore during outages', () => {
    const target = new URL(redisUrl);
    const targetHost = target.hostname.replace(/^\[|\]$/g, '');
    const targetPort = Number(target.port || 6379);
    const proxies: TcpProxy[] = [];
    const stores: SecurityStore[] = [];
    const recorder = new UnhandledErrorsRecorder();
    let key = '';

    const viaProxy = (port: number): string => {
      const url = new URL(redisUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    };

    const startProxy = async (options: { port?: number; mode?: 'forward' | 'blackhole' } = {}): Promise<TcpProxy> => {
      const proxy = await TcpProxy.start({ targetHost, targetPort, ...options });
      proxies.push(proxy);
      return proxy;
    };

    const connectThrough = async (proxy: TcpProxy): Promise<RedisSecurityStore> => {
      const store = new RedisSecurityStore({ url: viaProxy(proxy.port), ...FAST });
      stores.push(store);
      return store;
    };

    const waitUntilAvailable = async (store: SecurityStore, withinMs: number): Promise<number> => {
      const started = performance.now();
      for (;;) {
        try {
          await store.ping();
          return performance.now() - started;
        } catch (error) {
          if (!(error instanceof StoreUnavailableError) || performance.now() - started > withinMs) {
            throw error;
          }
          await sleep(25);
        }
      }
    };

    beforeAll(() => {
      recorder.start();
    });

    beforeEach(() => {
      key = `outage:${randomUUID()}`;
    });

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await Promise.all(proxies.splice(0).map((proxy) => proxy.kill()));
    });

    afterAll(() => {
      recorder.stop();
      expect(recorder.errors).toEqual([]);
    });

    it('rejects every operation within the timeouts once the server is gone', async () => {
      const proxy = await startProxy();
      const store = await connectThrough(proxy);
      await store.set(key, 'before', 1000);
      await proxy.kill();
      for (const [name, run] of OPERATIONS) {
        const { error, elapsedMs } = await timed(() => run(store, key));
        expect({ name, error }).toEqual({ name, error: expect.any(StoreUnavailableError) });
        expect(elapsedMs).toBeLessThan(OUTAGE_BUDGET_MS);
      }
    });

    it('fails commands in flight when the connection drops', async () => {
      const proxy = await startProxy();
      const store = await connectThrough(proxy);
      await store.ping();
      proxy.pause();
      const pending = timed(() => store.get(key));
      await sleep(20);
      await proxy.kill();
      const { error, elapsedMs } = await pending;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(elapsedMs).toBeLessThan(OUTAGE_BUDGET_MS);
    });

    it('rejects within the command timeout when the server accepts but never answers', async () => {
      const proxy = await startProxy();
      const store = await connectThrough(proxy);
      await store.ping();
      proxy.blackhole();
      for (const [name, run] of OPERATIONS) {
        const { error, elapsedMs } = await timed(() => run(store, key));
        expect({ name, error }).toEqual({ name, error: expect.any(StoreUnavailableError) });
        expect(elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + 250);
      }
    });

    it('fails a first connection to a silent server within the timeouts', async () => {
      const proxy = await startProxy({ mode: 'blackhole' });
      const store = await connectThrough(proxy);
      const { error, elapsedMs } = await timed(() => store.increment(key, 1000));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(elapsedMs).toBeLessThan(OUTAGE_BUDGET_MS);
    });

    it('recovers when the server comes back on the same port', async () => {
      const proxy = await startProxy();
      const store = await connectThrough(proxy);
      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 1 });
      await proxy.kill();
      await expect(store.increment(key, 10_000)).rejects.toBeInstanceOf(StoreUnavailableError);
      await sleep(300);
      await startProxy({ port: proxy.port });
      expect(await waitUntilAvailable(store, 3000)).toBeLessThan(3000);
      // The increment refused during the outage never reached Redis.
      await expect(store.increment(key, 10_000)).resolves.toMatchObject({ value: 2 });
    });

    it('recovers after a silent period with replies still paired with their commands', async () => {
      const proxy = await startProxy();
      const store = await connectThrough(proxy);
      await store.set(`${key}:a`, 'A', 10_000);
      proxy.blackhole();
      await expect(store.get(`${key}:a`)).rejects.toBeInstanceOf(StoreUnavailableError);
      proxy.resume();
      expect(await waitUntilAvailable(store, 3000)).toBeLessThan(3000);
      await store.set(`${key}:b`, 'B', 10_000);
      await expect(store.getMany([`${key}:a`, `${key}:b`])).resolves.toEqual(['A', 'B']);
      await expect(store.get(`${key}:b`)).resolves.toBe('B');
    });

    it('refuses a connection to a port with nothing listening', async () => {
      const proxy = await startProxy();
      await proxy.kill();
      const store = await connectThrough(proxy);
      const { error, elapsedMs } = await timed(() => store.ping());
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(elapsedMs).toBeLessThan(OUTAGE_BUDGET_MS);
    });
  });
});
