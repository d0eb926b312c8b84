import { MemorySecurityStore } from './memory.store';
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
  /** @default 1_000_000 */
  maxEntries?: number;
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
      return new MemorySecurityStore({ maxEntries: options.maxEntries });
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
      });
      return new ResilientSecurityStore(redis, { policy: options.onUnavailable });
    }
    default:
      throw new Error(
        `Invalid option store.type: expected 'memory' or 'redis', got ${String((options as { type?: unknown } | undefined)?.type)}.`,
      );
  }
}
