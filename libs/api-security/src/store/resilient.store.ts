import { Logger } from '@nestjs/common';
import { DelegatingSecurityStore } from './delegating.store';
import { MemorySecurityStore } from './memory.store';
import type { SecurityStore } from './security-store';
import {
  COUNTER_PURPOSES,
  RECORD_PURPOSES,
  resolveOutagePolicy,
  type CounterPurpose,
  type SecurityStorePurpose,
  type StoreOutagePolicies,
  type StoreOutagePolicy,
} from './store-outage.policy';
import { StoreUnavailableError } from './store-unavailable.error';

export type { StoreOutagePolicy } from './store-outage.policy';

/** The slice of a Nest logger the store uses (injectable so tests stay quiet). */
export interface SecurityStoreLogger {
  warn(message: string): void;
  log(message: string): void;
}

export interface ResilientSecurityStoreOptions {
  /**
   * Which counters may be served by an in-process store while the primary cannot answer, so
   * that their limits keep working per instance rather than cluster-wide: `'failOpen'` for every
   * counter purpose (rate limits, flow velocity, alert counts), or one policy per counter purpose.
   *
   * Everything else fails closed whatever this says: a {@link StoreUnavailableError} propagates and
   * the request is refused (503). That covers security records (revocations, refresh-token
   * families, one-time challenges, lockouts), which an empty stand-in would answer with "not
   * revoked", "not spent", "not locked", and calls made on this object directly rather than
   * through {@link ResilientSecurityStore.forPurpose}, whose purpose is unknown.
   * @default 'failClosed'
   */
  policy?: StoreOutagePolicy | StoreOutagePolicies;
  /**
   * Capacity of the in-process fallback used by counters that fail open.
   * @default 100_000
   */
  fallbackMaxEntries?: number;
  /** @default new Logger('SecurityStore') */
  logger?: SecurityStoreLogger;
}

const DEFAULT_FALLBACK_MAX_ENTRIES = 100_000;
const PURPOSES: readonly string[] = [...COUNTER_PURPOSES, ...RECORD_PURPOSES];

type Runner = <T>(operation: (store: SecurityStore) => Promise<T>) => Promise<T>;

/**
 * Applies the outage policy around a primary (shared) store. Every call goes to the primary
 * first, so the primary is used again as soon as it answers; the outage is logged once when it
 * starts and once when it ends, not on every request.
 *
 * Only calls made through a counter purpose's view ({@link forPurpose}) can fall back, and only
 * when the policy opens that purpose. State written to the fallback during an outage is not
 * copied back: counters restart from the primary's values after recovery, which is the accepted
 * cost of failing open.
 */
export class ResilientSecurityStore extends DelegatingSecurityStore {
  private readonly open: ReadonlySet<CounterPurpose>;
  private readonly fallback: MemorySecurityStore;
  private readonly logger: SecurityStoreLogger;
  private readonly views = new Map<SecurityStorePurpose, SecurityStore>();
  private unavailable = false;

  constructor(
    private readonly primary: SecurityStore,
    options: ResilientSecurityStoreOptions = {},
  ) {
    super();
    const problems: string[] = [];
    this.open = resolveOutagePolicy(options.policy, problems);
    if (problems.length > 0) {
      throw new TypeError(`ResilientSecurityStore: ${problems.join(' ')}`);
    }
    this.fallback = new MemorySecurityStore({ maxEntries: options.fallbackMaxEntries ?? DEFAULT_FALLBACK_MAX_ENTRIES });
    this.logger = options.logger ?? new Logger('SecurityStore');
  }

  /**
   * The round trips of the primary store, when it counts them (`RedisSecurityStore.roundTrips`);
   * calls served by the per-instance fallback make none. Undefined for a primary that does not count.
   */
  get roundTrips(): number | undefined {
    const trips = (this.primary as { roundTrips?: unknown }).roundTrips;
    return typeof trips === 'number' ? trips : undefined;
  }

  /** True while the primary is known to be unavailable (since its last failure, until its next success). */
  get degraded(): boolean {
    return this.unavailable;
  }

  /**
   * This store as seen by one kind of state: its calls fall back to per-instance memory during an
   * outage only when `purpose` is a counter the policy opens. Closing a view does nothing; the
   * store itself owns the connections.
   */
  forPurpose(purpose: SecurityStorePurpose): SecurityStore {
    if (!PURPOSES.includes(purpose)) {
      throw new TypeError(
        `ResilientSecurityStore: unknown purpose ${String(purpose)}; use one of ${PURPOSES.join(', ')}.`,
      );
    }
    let view = this.views.get(purpose);
    if (view === undefined) {
      const failOpen = this.open.has(purpose as CounterPurpose);
      view = new PurposeView(
        (operation) => this.call(operation, failOpen),
        // Reads of security records fail closed whatever the purpose: the stand-in does not know them.
        (operation) => this.call(operation, false),
        () => this.ping(),
      );
      this.views.set(purpose, view);
    }
    return view;
  }

  /** The primary's boot check: an outage policy never makes a misconfigured store acceptable. */
  async checkConfiguration(): Promise<void> {
    await this.primary.checkConfiguration?.();
  }

  /** Reports the primary's health under every policy, so readiness checks and alerts see the outage. */
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

  /** Calls without a purpose fail closed: nothing says an empty stand-in would be a safe answer. */
  protected run<T>(operation: (store: SecurityStore) => Promise<T>): Promise<T> {
    return this.call(operation, false);
  }

  private async call<T>(operation: (store: SecurityStore) => Promise<T>, failOpen: boolean): Promise<T> {
    let result: T;
    try {
      result = await operation(this.primary);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) {
        throw error;
      }
      this.markUnavailable();
      if (!failOpen) {
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
      this.open.size > 0
        ? `Security store unavailable; failing open for ${[...this.open].join(', ')} (per-instance memory) ` +
            'and failing closed for everything else (revocations, refresh tokens, challenges, lockouts): ' +
            'requests that need those are refused until it answers again.'
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

/** One purpose's view of a {@link ResilientSecurityStore}. */
class PurposeView extends DelegatingSecurityStore {
  constructor(
    private readonly runner: Runner,
    private readonly recordsRunner: Runner,
    private readonly pinger: () => Promise<void>,
  ) {
    super();
  }

  protected run<T>(operation: (store: SecurityStore) => Promise<T>): Promise<T> {
    return this.runner(operation);
  }

  protected override runRecords<T>(operation: (store: SecurityStore) => Promise<T>): Promise<T> {
    return this.recordsRunner(operation);
  }

  ping(): Promise<void> {
    return this.pinger();
  }

  async close(): Promise<void> {
    // The store the view belongs to is closed once, by whoever created it.
  }
}
