import { performance } from 'node:perf_hooks';
import type {
  ConsumeRequest,
  ConsumeResult,
  CounterState,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SecurityStore,
} from './security-store';
import {
  assertBy,
  assertConsumeRequests,
  assertKey,
  assertKeys,
  assertReleaseRequests,
  assertReserveRequests,
  assertTtl,
  assertValue,
} from './store-arguments.validator';
import { BLOCK_SUFFIX } from './consume.keys';

/** Options of the in-memory store (one process only; use Redis for several instances). */
export interface MemorySecurityStoreOptions {
  /**
   * Upper bound on stored keys. When full, expired entries found by the incremental sweep are
   * dropped first, otherwise the oldest-inserted entry is evicted, so an attacker spraying
   * unique keys cannot grow the process without bound.
   * @default 1_000_000
   */
  maxEntries?: number;
  /**
   * Clock in milliseconds, injectable for tests.
   * @default performance.now (monotonic, so wall-clock jumps do not shorten or stretch TTLs)
   */
  now?: () => number;
}

interface Entry {
  readonly key: string;
  /** null while the entry is a counter: the count lives in `count` so increments allocate nothing. */
  value: string | null;
  count: number;
  expiresAt: number;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;
/** Small enough to keep every write O(1), large enough to outpace the insert rate of expiring keys. */
const SWEEP_BATCH = 8;
const INTEGER = /^(?:0|-?[1-9]\d*)$/;

/**
 * In-process {@link SecurityStore}: for a single instance, for tests, and as the fail-open
 * fallback. State is per process, so limits are per instance when the app is scaled out.
 *
 * Expiry is lazy (checked on access) plus a bounded sweep on every write; there is no timer,
 * so the store never keeps the event loop alive and needs no cleanup beyond `close()`.
 */
export class MemorySecurityStore implements SecurityStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Map iterators are live (they see later inserts and skip deletions), which makes a cheap rotating cursor. */
  private cursor: Iterator<Entry>;

  constructor(options: MemorySecurityStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
      throw new TypeError(`MemorySecurityStore: maxEntries must be a positive integer, got ${String(maxEntries)}.`);
    }
    this.maxEntries = maxEntries;
    this.now = options.now ?? (() => performance.now());
    this.cursor = this.entries.values();
  }

  /** Number of stored entries, including expired ones not yet swept. */
  get size(): number {
    return this.entries.size;
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<CounterState> {
    assertKey(key);
    assertTtl(ttlMs);
    assertBy(by);
    const now = this.now();
    const entry = this.live(key, now);
    if (entry === undefined) {
      this.insert({ key, value: null, count: by, expiresAt: now + ttlMs }, now);
      return { value: by, ttlMs };
    }
    if (entry.value !== null) {
      // Same rule as Redis INCRBY: a stored integer string turns into a counter, anything else is refused.
      if (!INTEGER.test(entry.value) || !Number.isSafeInteger(Number(entry.value))) {
        throw new TypeError('SecurityStore: the value at this key is not an integer counter.');
      }
      entry.count = Number(entry.value);
      entry.value = null;
    }
    if (!Number.isSafeInteger(entry.count + by)) {
      throw new TypeError('SecurityStore: increment would overflow the counter.');
    }
    entry.count += by;
    this.sweep(now);
    return { value: entry.count, ttlMs: msLeft(entry.expiresAt, now) };
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertKey(key);
    assertValue(value);
    assertTtl(ttlMs);
    const now = this.now();
    if (this.live(key, now) !== undefined) {
      return false;
    }
    this.insert({ key, value, count: 0, expiresAt: now + ttlMs }, now);
    return true;
  }

  async get(key: string): Promise<string | null> {
    assertKey(key);
    return this.read(key, this.now());
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    assertKeys(keys);
    const now = this.now();
    const values = new Array<string | null>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      values[i] = this.read(keys[i], now);
    }
    return values;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertKey(key);
    assertValue(value);
    assertTtl(ttlMs);
    const now = this.now();
    // Re-inserting (rather than updating in place) keeps Map order equal to insertion age for eviction.
    this.entries.delete(key);
    this.insert({ key, value, count: 0, expiresAt: now + ttlMs }, now);
  }

  async take(key: string): Promise<string | null> {
    assertKey(key);
    const entry = this.live(key, this.now());
    if (entry === undefined) {
      return null;
    }
    this.entries.delete(key);
    return entry.value ?? String(entry.count);
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    if (this.live(key, this.now()) === undefined) {
      return false;
    }
    return this.entries.delete(key);
  }

  async consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]> {
    assertConsumeRequests(requests);
    const now = this.now();
    // No await between reads and writes: the whole call is one step of the event loop, hence atomic.
    return requests.map((request) => this.consumeOne(request, now));
  }

  async reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult> {
    assertReserveRequests(requests);
    const now = this.now();
    // No await from here on: the check and the charge are one step of the event loop.
    const found = requests.map((request) => this.live(request.key, now));
    const values = found.map((entry) => (entry === undefined ? 0 : countOf(entry)));
    const full = requests.map((request, i) => values[i] + request.cost > request.limit);
    const reserved = !full.includes(true);
    const counters = requests.map((request, i) => {
      let entry = found[i];
      if (reserved && request.cost > 0) {
        if (entry === undefined) {
          entry = { key: request.key, value: null, count: request.cost, expiresAt: now + request.windowMs };
          this.insert(entry, now);
        } else {
          entry.count = values[i] + request.cost;
          entry.value = null;
          this.sweep(now);
        }
      }
      return {
        value: entry === undefined ? 0 : entry.value === null ? entry.count : values[i],
        resetMs: entry === undefined ? 0 : msLeft(entry.expiresAt, now),
        full: full[i],
      };
    });
    return { reserved, counters };
  }

  async release(requests: readonly ReleaseRequest[]): Promise<void> {
    assertReleaseRequests(requests);
    const now = this.now();
    for (const request of requests) {
      const entry = this.live(request.key, now);
      // More time left than at the reservation: a later window, which the reservation never charged.
      if (entry === undefined || msLeft(entry.expiresAt, now) > request.resetMs) continue;
      entry.count = Math.max(0, countOf(entry) - request.cost);
      entry.value = null;
    }
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
    this.cursor = this.entries.values();
  }

  /** One fixed-window counter: O(1) whatever the number of hits in the window. */
  private consumeOne(request: ConsumeRequest, now: number): ConsumeResult {
    const blockedUntil = this.live(request.key + BLOCK_SUFFIX, now);
    const counter = this.live(request.key, now);
    if (counter !== undefined && counter.value !== null) {
      throw new TypeError('SecurityStore: the value at this key is not a rate-limit counter.');
    }
    if (blockedUntil !== undefined) {
      return {
        hits: counter?.count ?? 0,
        resetMs: counter ? msLeft(counter.expiresAt, now) : 0,
        blocked: true,
        retryAfterMs: msLeft(blockedUntil.expiresAt, now),
      };
    }
    if (request.cost === 0) {
      const hits = counter?.count ?? 0;
      const resetMs = counter ? msLeft(counter.expiresAt, now) : 0;
      const over = hits > request.limit;
      return { hits, resetMs, blocked: over, retryAfterMs: over ? resetMs : 0 };
    }
    let entry = counter;
    if (entry === undefined) {
      entry = { key: request.key, value: null, count: request.cost, expiresAt: now + request.windowMs };
      this.insert(entry, now);
    } else {
      entry.count += request.cost;
      this.sweep(now);
    }
    const resetMs = msLeft(entry.expiresAt, now);
    if (entry.count <= request.limit) {
      return { hits: entry.count, resetMs, blocked: false, retryAfterMs: 0 };
    }
    if (request.blockMs > 0) {
      const block: Entry = { key: request.key + BLOCK_SUFFIX, value: '1', count: 0, expiresAt: now + request.blockMs };
      this.entries.delete(block.key);
      this.insert(block, now);
      return { hits: entry.count, resetMs, blocked: true, retryAfterMs: request.blockMs };
    }
    return { hits: entry.count, resetMs, blocked: true, retryAfterMs: resetMs };
  }

  private read(key: string, now: number): string | null {
    const entry = this.live(key, now);
    if (entry === undefined) {
      return null;
    }
    return entry.value ?? String(entry.count);
  }

  /** The entry at `key` if it has not expired; an expired one is removed on the way. */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private insert(entry: Entry, now: number): void {
    this.sweep(now);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) {
        this.entries.delete(oldest.value);
      }
    }
    this.entries.set(entry.key, entry);
  }

  /** Checks up to SWEEP_BATCH entries from the rotating cursor and drops the expired ones. */
  private sweep(now: number): void {
    for (let i = 0; i < SWEEP_BATCH; i++) {
      let next = this.cursor.next();
      if (next.done === true) {
        // A finished Map iterator stays finished, so wrap around with a fresh one.
        this.cursor = this.entries.values();
        next = this.cursor.next();
        if (next.done === true) {
          return;
        }
      }
      if (next.value.expiresAt <= now) {
        this.entries.delete(next.value.key);
      }
    }
  }
}

/**
 * Whole milliseconds until `expiresAt`, rounded up. Rounded to the microsecond first: `now + ttl - now`
 * is not always exactly `ttl` in floating point, and a TTL must never be reported one millisecond long.
 */
function msLeft(expiresAt: number, now: number): number {
  return Math.ceil(Math.round((expiresAt - now) * 1000) / 1000);
}

/** The integer an entry holds, whether counted or stored as a string; a TypeError for anything else. */
function countOf(entry: Entry): number {
  if (entry.value === null) return entry.count;
  if (!INTEGER.test(entry.value) || !Number.isSafeInteger(Number(entry.value))) {
    throw new TypeError('SecurityStore: the value at this key is not an integer counter.');
  }
  return Number(entry.value);
}
