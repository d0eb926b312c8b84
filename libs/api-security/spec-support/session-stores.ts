import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SecurityEventBus } from '../src/audit/security-event.bus';
import type { SecurityEvent, SecurityEventType } from '../src/audit/security-event';
import { MemorySecurityStore } from '../src/store/memory.store';
import { RedisSecurityStore } from '../src/store/redis.store';
import type { CounterState, SecurityStore } from '../src/store/security-store';
import { describeWithServices } from '../../../test/support/services';

/** A wall clock that moves only when told. */
export class ManualClock {
  constructor(public current = Date.now()) {}

  readonly now = (): number => this.current;

  advance(ms: number): void {
    this.current += ms;
  }
}

/** Keeps events instead of logging them, so tests can look at exactly what was emitted. */
export class RecordingEventBus extends SecurityEventBus {
  readonly events: SecurityEvent[] = [];

  override emit(event: SecurityEvent): void {
    this.events.push(event);
  }

  ofType(type: SecurityEventType): SecurityEvent[] {
    return this.events.filter((event) => event.type === type);
  }
}

/** One shared security state, seen by several app instances. */
export interface SharedStoreBackend {
  readonly kind: 'memory' | 'redis';
  /** Drives the session services; on memory it also drives the store's TTLs, on Redis they run in real time. */
  readonly clock: ManualClock;
  /** The store as one app instance sees it: on Redis a new client on the shared key prefix. */
  instance(): SecurityStore;
  /** Every key and value in the store (memory: every key and value ever written), for leak checks. */
  contents(): Promise<string[]>;
  close(): Promise<void>;
}

/** Memory store that remembers every key and value written to it. */
class RecordingMemoryStore extends MemorySecurityStore {
  readonly written: string[] = [];

  override increment(key: string, ttlMs: number, by?: number): Promise<CounterState> {
    this.written.push(key);
    return super.increment(key, ttlMs, by);
  }

  override setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.written.push(key, value);
    return super.setIfAbsent(key, value, ttlMs);
  }

  override set(key: string, value: string, ttlMs: number): Promise<void> {
    this.written.push(key, value);
    return super.set(key, value, ttlMs);
  }
}

export function memoryBackend(): SharedStoreBackend {
  const clock = new ManualClock();
  const store = new RecordingMemoryStore({ now: clock.now });
  return {
    kind: 'memory',
    clock,
    instance: () => store,
    contents: async () => [...store.written],
    close: () => store.close(),
  };
}

export function redisBackend(url: string): SharedStoreBackend {
  const clock = new ManualClock();
  const keyPrefix = `api-security-test:sessions:${randomUUID()}:`;
  const stores: RedisSecurityStore[] = [];
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  };
  return {
    kind: 'redis',
    clock,
    instance: () => {
      // These suites test what the store does, not its deadlines (the outage suites do, with their own
      // timeouts). On a loaded CI machine a command can stall past the default 500 ms, and the store
      // then drops its connection on purpose: seen once, a 40-way concurrent reserve on a new connection.
      const store = new RedisSecurityStore({ url, keyPrefix, connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
      stores.push(store);
      return store;
    },
    contents: async () => {
      const found = await keys();
      const values = found.length === 0 ? [] : await admin.mget(found);
      return [...found, ...values.filter((value): value is string => value !== null)];
    },
    close: async () => {
      const found = await keys();
      if (found.length > 0) await admin.del(...found);
      await Promise.all(stores.map((store) => store.close()));
      await admin.quit();
    },
  };
}

/**
 * Declares `body` once on a memory store and once on Redis with a key prefix of its own (without
 * `REDIS_URL`: skipped locally, failing in CI; see describeWithServices). `backend()` is a fresh
 * shared state for each test.
 */
export function describeOnEachStore(title: string, body: (backend: () => SharedStoreBackend) => void): void {
  const declare = (kind: string, make: () => SharedStoreBackend): void => {
    describe(`${title} on ${kind}`, () => {
      let current: SharedStoreBackend | undefined;
      beforeEach(() => {
        current = make();
      });
      afterEach(async () => {
        await current?.close();
        current = undefined;
      });
      body(() => {
        if (current === undefined) throw new Error('backend() is only available inside a test');
        return current;
      });
    });
  };

  declare('MemorySecurityStore', memoryBackend);
  describeWithServices(`${title} over Redis`, ['redis'], ({ redis: url }) =>
    declare('RedisSecurityStore', () => redisBackend(url)),
  );
}
