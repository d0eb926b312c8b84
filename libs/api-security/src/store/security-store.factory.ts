import { MemorySecurityStore, type CountersFullPolicy } from './memory.store';
import { loadOptional } from '../common/optional-dependency';
import type * as RedisStoreModule from './redis.store';
import { ResilientSecurityStore } from './resilient.store';
import type { SecurityStore } from './security-store';
import { resolveOutagePolicy, type StoreOutagePolicies, type StoreOutagePolicy } from './store-outage.policy';

interface CommonStoreOptions {
  /**
   * What counters do while Redis cannot answer (ignored for `memory`, which cannot be unavailable).
   *
   * `'failClosed'`: every request that needs the store is refused with 503 `ERR_STORE_UNAVAILABLE`.
   * `'failOpen'`: counters (rate limits, sensitive-flow velocity and cooldowns, threshold-alert
   * counts) are kept in a per-instance memory until Redis answers again, so those limits hold per
   * instance instead of cluster-wide. An object sets each counter purpose on its own
   * (`{ rateLimit: 'failOpen' }`; a purpose left out fails closed).
   *
   * Security records fail closed under every setting: revocations (token, user, session),
   * refresh-token families, one-time challenges and login lockouts, as well as the application's
   * own calls on the injected `SECURITY_STORE`. Naming one of them here is a boot error.
   * @default 'failClosed'
   */
  onUnavailable?: StoreOutagePolicy | StoreOutagePolicies;
}

/** Keeps security state in this process (the default): for one instance, development and tests. */
export interface MemoryStoreOptions extends CommonStoreOptions {
  type: 'memory';
  /**
   * Bound on stored keys, counters and security records together. Nothing live is evicted when
   * full: see `MemorySecurityStoreOptions.maxEntries`.
   * @default 1_000_000
   */
  maxEntries?: number;
  /**
   * How many of `maxEntries` counters may take; the rest is kept for security records.
   * @default half of maxEntries
   */
  maxCounterEntries?: number;
  /**
   * What a request answers when the counter it needs cannot be stored.
   * @default 'tooManyRequests'
   */
  whenCountersFull?: CountersFullPolicy;
}

/** Keeps security state in Redis, so that several instances behave as one. */
export interface RedisStoreOptions extends CommonStoreOptions {
  type: 'redis';
  /** `redis://` or `rediss://` URL; may contain credentials and is never logged. */
  url: string;
  /** @default 'api-security:' */
  keyPrefix?: string;
  /** @default 1000 */
  connectTimeoutMs?: number;
  /**
   * Start even though Redis may evict keys (`maxmemory-policy` other than `noeviction`), with a
   * warning instead of a boot error. An evicting Redis drops revocations, lockouts and spent
   * challenges when memory runs out (every key has a TTL, so even `volatile-*` policies apply), and a
   * revoked token then works again. Leave this off unless that risk is accepted.
   * @default false
   */
  allowEvictingPolicy?: boolean;
  /** @default 500 */
  commandTimeoutMs?: number;
}

/** Where shared security state lives. */
export type SecurityStoreOptions = MemoryStoreOptions | RedisStoreOptions;

/**
 * Builds the configured store. Redis is wrapped in a {@link ResilientSecurityStore} applying
 * `onUnavailable` to the counter purposes; memory is returned as is. Nothing connects until the first operation.
 */
export function createSecurityStore(options: SecurityStoreOptions): SecurityStore {
  const problems: string[] = [];
  resolveOutagePolicy(options?.onUnavailable, problems);
  if (problems.length > 0) {
    throw new Error(`Invalid option: ${problems.join(' ')}`);
  }
  switch (options?.type) {
    case 'memory':
      return new MemorySecurityStore({
        maxEntries: options.maxEntries,
        maxCounterEntries: options.maxCounterEntries,
        whenCountersFull: options.whenCountersFull,
      });
    case 'redis': {
      if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
        // The value is not echoed: a mistyped URL may still hold a real password.
        throw new Error(
          'Invalid option store.url: expected a URL starting with redis:// or rediss:// ' +
            '(for example redis://localhost:6379, or rediss://user:password@host:6380 for TLS).',
        );
      }
      const { RedisSecurityStore } = loadOptional(
        'ioredis',
        "store: { type: 'redis' }",
        // Loaded here, not at the top: apps on the memory store need not install ioredis.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        () => require('./redis.store') as typeof RedisStoreModule,
      );
      const redis = new RedisSecurityStore({
        url: options.url,
        keyPrefix: options.keyPrefix,
        connectTimeoutMs: options.connectTimeoutMs,
        commandTimeoutMs: options.commandTimeoutMs,
        allowEvictingPolicy: options.allowEvictingPolicy,
      });
      return new ResilientSecurityStore(redis, { policy: options.onUnavailable });
    }
    default:
      throw new Error(
        `Invalid option store.type: expected 'memory' or 'redis', got ${String((options as { type?: unknown } | undefined)?.type)}.`,
      );
  }
}

/**
 * Boot checks of the options that bound memory or decide what an evicting Redis does, one sentence
 * per problem, naming the option.
 */
export function checkStoreCapacityOptions(store: SecurityStoreOptions, problems: string[]): void {
  if (store?.type === 'memory') {
    const max = store.maxEntries ?? 1_000_000;
    if (!Number.isSafeInteger(max) || max < 2) {
      problems.push(`store.maxEntries must be an integer >= 2, got ${String(store.maxEntries)}.`);
      return;
    }
    const counters = store.maxCounterEntries;
    if (counters !== undefined && (!Number.isSafeInteger(counters) || counters < 1 || counters >= max)) {
      problems.push(
        `store.maxCounterEntries must be an integer from 1 to store.maxEntries - 1 (the rest is kept for security records), got ${String(counters)}.`,
      );
    }
    const full: unknown = store.whenCountersFull;
    if (full !== undefined && full !== 'tooManyRequests' && full !== 'serviceUnavailable') {
      problems.push(`store.whenCountersFull must be 'tooManyRequests' or 'serviceUnavailable', got ${String(full)}.`);
    }
  } else if (store?.type === 'redis') {
    const allow: unknown = store.allowEvictingPolicy;
    if (allow !== undefined && typeof allow !== 'boolean') {
      problems.push(`store.allowEvictingPolicy must be true or false, got ${typeof allow}.`);
    }
  }
}
