import { MemorySecurityStore } from './memory.store';
import { loadOptional } from '../common/optional-dependency';
import type * as RedisStoreModule from './redis.store';
import { ResilientSecurityStore, type StoreOutagePolicy } from './resilient.store';
import type { SecurityStore } from './security-store';

interface CommonStoreOptions {
  /**
   * What to do while Redis cannot answer (ignored for `memory`, which cannot be unavailable).
   * @default 'failClosed'
   */
  onUnavailable?: StoreOutagePolicy;
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
 * `onUnavailable`; memory is returned as is. Nothing connects until the first operation.
 */
export function createSecurityStore(options: SecurityStoreOptions): SecurityStore {
  const onUnavailable: unknown = options?.onUnavailable;
  if (onUnavailable !== undefined && onUnavailable !== 'failClosed' && onUnavailable !== 'failOpen') {
    throw new Error(
      `Invalid option store.onUnavailable: expected 'failClosed' (refuse requests, 503) or 'failOpen' (per-instance memory), got ${String(onUnavailable)}.`,
    );
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
