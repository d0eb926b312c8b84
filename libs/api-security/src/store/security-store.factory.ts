import { MemorySecurityStore, type CountersFullPolicy } from './memory.store';
import { loadOptional } from '../common/optional-dependency';
import { type RedisClusterConnectionOptions, type RedisSentinelConnectionOptions } from './redis-connection.options';
import type * as RedisStoreModule from './redis.store';
import { ResilientSecurityStore } from './resilient.store';
import type { SecurityStore } from './security-store';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { checkStoreOptions } from './store-options.check';
import type { StoreOutagePolicies, StoreOutagePolicy } from './store-outage.policy';

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

/**
 * Keeps security state in Redis, so that several instances behave as one: one Redis (`url`) or a
 * Redis Cluster (`cluster`) or a Redis watched by Sentinel (`sentinel`), exactly one of them.
 */
export interface RedisStoreOptions extends CommonStoreOptions {
  type: 'redis';
  /** `redis://` or `rediss://` URL; may contain credentials and is never logged. */
  url?: string;
  /**
   * A Redis Cluster instead of `url`: seed nodes (`'host:port'` or `{ host, port }`), and the
   * `username`, `password`, `tls` and `natMap` every node shares. The library's keys keep related
   * records in one slot with hash tags; the eviction policy is checked on every master.
   */
  cluster?: RedisClusterConnectionOptions;
  /**
   * A Redis watched by Sentinel instead of `url`: the sentinels (`'host:port'` or `{ host, port }`),
   * the monitored master `name`, and the credentials and `tls` of the servers and sentinels. The
   * store follows failovers.
   */
  sentinel?: RedisSentinelConnectionOptions;
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
 * @throws ApiSecurityConfigError when the options are invalid (the same sentences as at boot).
 */
export function createSecurityStore(options: SecurityStoreOptions): SecurityStore {
  const problems: string[] = [];
  checkStoreOptions(options, problems);
  if (problems.length > 0) throw new ApiSecurityConfigError(problems);
  switch (options?.type) {
    case 'memory':
      return new MemorySecurityStore({
        maxEntries: options.maxEntries,
        maxCounterEntries: options.maxCounterEntries,
        whenCountersFull: options.whenCountersFull,
      });
    case 'redis': {
      const { RedisSecurityStore } = loadOptional(
        'ioredis',
        "store: { type: 'redis' }",
        // Loaded here, not at the top: apps on the memory store need not install ioredis.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        () => require('./redis.store') as typeof RedisStoreModule,
      );
      const redis = new RedisSecurityStore({
        ...(options.cluster !== undefined
          ? { cluster: options.cluster }
          : options.sentinel !== undefined
            ? { sentinel: options.sentinel }
            : { url: options.url }),
        keyPrefix: options.keyPrefix,
        connectTimeoutMs: options.connectTimeoutMs,
        commandTimeoutMs: options.commandTimeoutMs,
        allowEvictingPolicy: options.allowEvictingPolicy,
      });
      return new ResilientSecurityStore(redis, { policy: options.onUnavailable });
    }
    default:
      // checkStoreOptions refused every other type above.
      throw new ApiSecurityConfigError([`store.type must be 'memory' or 'redis'.`]);
  }
}
