import { Logger } from '@nestjs/common';
import { MemorySecurityStore } from './memory.store';
import type {
  ConsumeRequest,
  ConsumeResult,
  CounterState,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SecurityStore,
} from './security-store';
import { StoreUnavailableError } from './store-unavailable.error';

/** What to do while the shared store cannot answer. */
export type StoreOutagePolicy = 'failClosed' | 'failOpen';

/** The slice of a Nest logger the store uses (injectable so tests stay quiet). */
export interface SecurityStoreLogger {
  warn(message: string): void;
  log(message: string): void;
}

export interface ResilientSecurityStoreOptions {
  /**
   * `failClosed`: a {@link StoreUnavailableError} propagates and the request is refused (503);
   * no protection is silently switched off. `failOpen`: the operation is served by an
   * in-process store instead, so limits keep working per instance rather than cluster-wide.
   * @default 'failClosed'
   */
  policy?: StoreOutagePolicy;
  /**
   * Capacity of the in-process fallback used by `failOpen`.
   * @default 100_000
   */
  fallbackMaxEntries?: number;
  /** @default new Logger('SecurityStore') */
  logger?: SecurityStoreLogger;
}

const DEFAULT_FALLBACK_MAX_ENTRIES = 100_000;

/**
 * Applies the outage policy around a primary (shared) store. Every call goes to the primary
 * first, so the primary is used again as soon as it answers; the outage is logged once when it
 * starts and once when it ends, not on every request.
 *
 * State written to the fallback during an outage is not copied back: counters restart from the
 * primary's values after recovery, which is the accepted cost of failing open.
 */
export class ResilientSecurityStore implements SecurityStore {
  private readonly policy: StoreOutagePolicy;
  private readonly fallback: MemorySecurityStore;
  private readonly logger: SecurityStoreLogger;
  private unavailable = false;

  constructor(
    private readonly primary: SecurityStore,
    options: ResilientSecurityStoreOptions = {},
  ) {
    const policy = options.policy ?? 'failClosed';
    if (policy !== 'failClosed' && policy !== 'failOpen') {
      throw new TypeError(`ResilientSecurityStore: policy must be 'failClosed' or 'failOpen', got ${String(policy)}.`);
    }
    this.policy = policy;
    this.fallback = new MemorySecurityStore({ maxEntries: options.fallbackMaxEntries ?? DEFAULT_FALLBACK_MAX_ENTRIES });
    this.logger = options.logger ?? new Logger('SecurityStore');
  }

  /** True while the primary is known to be unavailable (since its last failure, until its next success). */
  get degraded(): boolean {
    return this.unavailable;
  }

  increment(key: string, ttlMs: number, by?: number): Promise<CounterState> {
    return this.call((store) => store.increment(key, ttlMs, by));
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.call((store) => store.setIfAbsent(key, value, ttlMs));
  }

  get(key: string): Promise<string | null> {
    return this.call((store) => store.get(key));
  }

  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return this.call((store) => store.getMany(keys));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.call((store) => store.set(key, value, ttlMs));
  }

  take(key: string): Promise<string | null> {
    return this.call((store) => store.take(key));
  }

  delete(key: string): Promise<boolean> {
    return this.call((store) => store.delete(key));
  }

  consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]> {
    return this.call((store) => store.consume(requests));
  }

  reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult> {
    return this.call((store) => store.reserve(requests));
  }

  release(requests: readonly ReleaseRequest[]): Promise<void> {
    return this.call((store) => store.release(requests));
  }

  /** Reports the primary's health under both policies, so readiness checks and alerts see the outage. */
  /** The primary's boot check: an outage policy never makes a misconfigured store acceptable. */
  async checkConfiguration(): Promise<void> {
    await this.primary.checkConfiguration?.();
  }

  async ping(): Promise<void> {
    try {
      await this.primary.ping();
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        this.markUnavailable();
      }
      throw error;
    }
    this.markAvailable();
  }

  async close(): Promise<void> {
    try {
      await this.primary.close();
    } finally {
      await this.fallback.close();
    }
  }

  private async call<T>(operation: (store: SecurityStore) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await operation(this.primary);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) {
        throw error;
      }
      this.markUnavailable();
      if (this.policy === 'failClosed') {
        throw error;
      }
      return operation(this.fallback);
    }
    this.markAvailable();
    return result;
  }

  private markUnavailable(): void {
    if (this.unavailable) {
      return;
    }
    this.unavailable = true;
    this.logger.warn(
      this.policy === 'failOpen'
        ? 'Security store unavailable; failing open: serving from per-instance memory until it answers again.'
        : 'Security store unavailable; failing closed: requests that need it are refused until it answers again.',
    );
  }

  private markAvailable(): void {
    if (!this.unavailable) {
      return;
    }
    this.unavailable = false;
    this.logger.log('Security store available again.');
  }
}
