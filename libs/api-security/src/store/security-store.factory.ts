import { MemorySecurityStore, type CountersFullPolicy } from './memory.store';
import { loadOptional } from '../common/optional-dependency';
import {
  parseRedisAddress,
  type RedisClusterConnectionOptions,
  type RedisSentinelConnectionOptions,
} from './redis-connection.options';
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
      const connection: string[] = [];
      checkRedisConnectionOptions(options, connection);
      if (connection.length > 0) {
        throw new Error(`Invalid option: ${connection.join(' ')}`);
      }
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
      throw new Error(
        `Invalid option store.type: expected 'memory' or 'redis', got ${String((options as { type?: unknown } | undefined)?.type)}.`,
      );
  }
}

/**
 * Boot check of where a Redis store connects: exactly one of `store.url` and `store.cluster`, well
 * formed. One sentence per problem; a URL or password is never echoed (a mistyped one may be real).
 */
export function checkRedisConnectionOptions(store: RedisStoreOptions, problems: string[]): void {
  const { url, cluster, sentinel } = store;
  const set = (['url', 'cluster', 'sentinel'] as const).filter((name) => store[name] !== undefined);
  if (set.length > 1) {
    problems.push(
      `${set.map((name) => `store.${name}`).join(' and ')} are exclusive: set store.url for one Redis, ` +
        'store.cluster for a Redis Cluster, store.sentinel for a Redis watched by Sentinel.',
    );
    return;
  }
  if (sentinel !== undefined) {
    const list: unknown = (sentinel as { sentinels?: unknown } | null)?.sentinels;
    if (!Array.isArray(list) || list.length === 0) {
      problems.push("store.sentinel.sentinels must list at least one sentinel, as 'host:port' or { host, port }.");
    } else {
      list.forEach((entry: unknown, i) => {
        if (parseRedisAddress(entry) === undefined) {
          problems.push(
            `store.sentinel.sentinels[${i}] must be 'host:port' or { host, port } with a port from 1 to 65535.`,
          );
        }
      });
    }
    const name: unknown = (sentinel as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || name === '') {
      problems.push('store.sentinel.name must be the master group name the sentinels monitor.');
    }
    return;
  }
  if (cluster === undefined) {
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      problems.push(
        'store.url must be a redis:// or rediss:// URL when store.type is redis (for example redis://localhost:6379, ' +
          'or rediss://user:password@host:6380 for TLS), or set store.cluster (Redis Cluster) or store.sentinel (Sentinel).',
      );
    }
    return;
  }
  const nodes: unknown = (cluster as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    problems.push("store.cluster.nodes must list at least one seed node, as 'host:port' or { host, port }.");
    return;
  }
  nodes.forEach((node: unknown, i) => {
    if (parseRedisAddress(node) === undefined) {
      problems.push(`store.cluster.nodes[${i}] must be 'host:port' or { host, port } with a port from 1 to 65535.`);
    }
  });
  for (const name of ['username', 'password'] as const) {
    const value: unknown = cluster[name];
    if (value !== undefined && typeof value !== 'string') problems.push(`store.cluster.${name} must be a string.`);
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
