import { performance } from 'node:perf_hooks';
import type {
  ConsumeIfClearRequest,
  ConsumeIfClearResult,
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
  assertConsumeIfClearRequest,
  assertConsumeRequests,
  assertKey,
  assertKeys,
  assertReleaseRequests,
  assertReserveRequests,
  assertTtl,
  assertValue,
} from './store-arguments.validator';
import { vetoedBy } from './consume-if-clear';
import { BLOCK_SUFFIX } from './consume.keys';
import { classifyKey, isAnonymousOverflowKey } from './key-purpose';
import { MemorySpace, type EntryOwner, type MemoryEntry } from './memory-space';
import { StoreFullError } from './store-full.error';
import { memoryStoreProblems } from './store-options.check';

/** What a request answers when the counter it needs cannot be stored: 429 or 503. */
export type CountersFullPolicy = 'tooManyRequests' | 'serviceUnavailable';

/** Options of the in-memory store (one process only; use Redis for several instances). */
export interface MemorySecurityStoreOptions {
  /**
   * Upper bound on stored keys, counters and security records together, so that an attacker
   * spraying unique keys cannot grow the process without bound. Nothing live is ever evicted:
   * when a space is full, expired entries are reclaimed, and if there are none the new key is
   * refused with a {@link StoreFullError} (the request fails closed).
   * @default 1_000_000
   */
  maxEntries?: number;
  /**
   * How many of `maxEntries` counters (rate limits, anonymous clients' flow counters, alert counts)
   * may take. The rest is kept for security records (revocations, "valid after" stamps, refresh-token
   * families, lockouts and login-attempt records, used challenges, principals' flow reservations),
   * which counters can therefore never push out. Anonymous clients' counters may take at most 90% of
   * the counter space, coarse fallback buckets up to 95%, so known principals always find room.
   * @default half of maxEntries
   */
  maxCounterEntries?: number;
  /**
   * What a request answers when the counter it needs cannot be stored: `tooManyRequests` (429,
   * like a rate limit) or `serviceUnavailable` (503). Never a silent pass.
   * @default 'tooManyRequests'
   */
  whenCountersFull?: CountersFullPolicy;
  /**
   * Clock in milliseconds, injectable for tests.
   * @default performance.now (monotonic, so wall-clock jumps do not shorten or stretch TTLs)
   */
  now?: () => number;
}

type Entry = MemoryEntry;

const DEFAULT_MAX_ENTRIES = 1_000_000;
/** Counter keys whose block-marker key is remembered at once (see `blockKeyOf`). */
const MAX_BLOCK_KEYS = 10_000;
const INTEGER = /^(?:0|-?[1-9]\d*)$/;

/**
 * In-process {@link SecurityStore}: for a single instance, for tests, and as the fail-open
 * fallback. State is per process, so limits are per instance when the app is scaled out.
 *
 * Expiry is lazy (checked on access) plus a bounded sweep on every insert (only inserts grow a
 * space, so charging an existing counter, the hot path, sweeps nothing); there is no timer,
 * so the store never keeps the event loop alive and needs no cleanup beyond `close()`.
 *
 * Counters and security records live in two bounded spaces (see `maxCounterEntries`), told apart
 * by key namespace ({@link classifyKey}); neither ever evicts a live entry.
 */
export class MemorySecurityStore implements SecurityStore {
  private readonly counters: MemorySpace;
  private readonly records: MemorySpace;
  private readonly countersFullStatus: 429 | 503;
  private readonly now: () => number;
  /** See {@link blockKeyOf}. */
  private readonly blockKeys = new Map<string, string>();

  constructor(options: MemorySecurityStoreOptions = {}) {
    const problems = memoryStoreProblems(options, (field) => field);
    if (problems.length > 0) throw new TypeError(`MemorySecurityStore: ${problems.join(' ')}`);
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const maxCounters = options.maxCounterEntries ?? Math.floor(maxEntries / 2);
    const policy = options.whenCountersFull ?? 'tooManyRequests';
    this.countersFullStatus = policy === 'tooManyRequests' ? 429 : 503;
    this.counters = new MemorySpace(
      maxCounters,
      maxCounters - Math.floor(maxCounters / 10),
      maxCounters - Math.floor(maxCounters / 20),
    );
    this.records = new MemorySpace(maxEntries - maxCounters, 0, 0);
    this.now = options.now ?? (() => performance.now());
  }

  /** Number of stored entries, including expired ones not yet swept. */
  get size(): number {
    return this.counters.size + this.records.size;
  }

  /** Stored entries per space, including expired ones not yet swept (for metrics and sizing). */
  get usage(): { readonly counters: number; readonly securityRecords: number } {
    return { counters: this.counters.size, securityRecords: this.records.size };
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<CounterState> {
    assertKey(key);
    assertTtl(ttlMs);
    assertBy(by);
    const now = this.now();
    const entry = this.live(key, now);
    if (entry === undefined) {
      this.insert(key, null, by, now + ttlMs, now);
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
    this.insert(key, value, 0, now + ttlMs, now);
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
    // Replacing frees the key's own slot first, so overwriting never needs room a full space lacks.
    this.spaceOf(key).delete(key);
    this.insert(key, value, 0, now + ttlMs, now);
  }

  async take(key: string): Promise<string | null> {
    assertKey(key);
    const entry = this.live(key, this.now());
    if (entry === undefined) {
      return null;
    }
    this.spaceOf(key).delete(key);
    return entry.value ?? String(entry.count);
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    if (this.live(key, this.now()) === undefined) {
      return false;
    }
    return this.spaceOf(key).delete(key);
  }

  async consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]> {
    assertConsumeRequests(requests);
    const now = this.now();
    // No await between reads and writes: the whole call is one step of the event loop, hence atomic.
    // Room for every new counter is checked first, so a refusal charges none of them.
    return this.chargeAll(requests, now);
  }

  async consumeIfClear(request: ConsumeIfClearRequest): Promise<ConsumeIfClearResult> {
    assertConsumeIfClearRequest(request);
    const now = this.now();
    // One synchronous pass, like consume: the reads and the charge see the same state.
    const stamp = request.stamp === undefined ? null : this.read(request.stamp.key, now);
    const marks = new Array<string | null>(request.marks.length);
    for (let i = 0; i < marks.length; i++) marks[i] = this.read(request.marks[i], now);
    if (vetoedBy(request, stamp, marks)) return { stamp, marks, vetoed: true, counters: [] };
    return { stamp, marks, vetoed: false, counters: this.chargeAll(request.counters, now) };
  }

  /** Charges every counter of one call, or none when a new one has no room (same tick, so atomic). */
  private chargeAll(requests: readonly ConsumeRequest[], now: number): ConsumeResult[] {
    let fresh: string[] | undefined;
    for (let i = 0; i < requests.length; i++) {
      if (this.live(requests[i].key, now) === undefined) (fresh ??= []).push(requests[i].key);
    }
    if (fresh !== undefined) this.ensureRoom(fresh, now);
    const results = new Array<ConsumeResult>(requests.length);
    for (let i = 0; i < requests.length; i++) results[i] = this.consumeOne(requests[i], now);
    return results;
  }

  async reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult> {
    assertReserveRequests(requests);
    const now = this.now();
    // No await from here on: the check and the charge are one step of the event loop.
    const found = requests.map((request) => this.live(request.key, now));
    const values = found.map((entry) => (entry === undefined ? 0 : countOf(entry)));
    const full = requests.map((request, i) => values[i] + request.cost > request.limit);
    const reserved = !full.includes(true);
    if (reserved) {
      this.ensureRoom(
        requests.filter((request, i) => request.cost > 0 && found[i] === undefined).map((request) => request.key),
        now,
      );
    }
    const counters = requests.map((request, i) => {
      let entry = found[i];
      if (reserved && request.cost > 0) {
        if (entry === undefined) {
          entry = this.insert(request.key, null, request.cost, now + request.windowMs, now);
        } else {
          entry.count = values[i] + request.cost;
          entry.value = null;
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
    this.counters.clear();
    this.records.clear();
    this.blockKeys.clear();
  }

  /** One fixed-window counter: O(1) whatever the number of hits in the window. */
  private consumeOne(request: ConsumeRequest, now: number): ConsumeResult {
    const blockedUntil = this.live(this.blockKeyOf(request.key), now);
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
      entry = this.insert(request.key, null, request.cost, now + request.windowMs, now);
    } else {
      entry.count += request.cost;
    }
    const resetMs = msLeft(entry.expiresAt, now);
    if (entry.count <= request.limit) {
      return { hits: entry.count, resetMs, blocked: false, retryAfterMs: 0 };
    }
    if (request.blockMs > 0) {
      const blockKey = this.blockKeyOf(request.key);
      try {
        this.insert(blockKey, '1', 0, now + request.blockMs, now);
        return { hits: entry.count, resetMs, blocked: true, retryAfterMs: request.blockMs };
      } catch (error) {
        // No room for the block marker: still refused, until the window ends instead.
        if (!(error instanceof StoreFullError)) throw error;
      }
    }
    return { hits: entry.count, resetMs, blocked: true, retryAfterMs: resetMs };
  }

  /**
   * The key of a counter's block marker, made once per counter key. Built per request, the joined
   * string is new every time and has to be flattened and hashed for the map lookup (about 1,500
   * instructions per charge, by callgrind); a counter key kept by the caller (the rate limit keeps
   * one per principal) is hashed once. Bounded: past {@link MAX_BLOCK_KEYS} the memo starts again.
   */
  private blockKeyOf(key: string): string {
    let blockKey = this.blockKeys.get(key);
    if (blockKey === undefined) {
      blockKey = key + BLOCK_SUFFIX;
      if (this.blockKeys.size >= MAX_BLOCK_KEYS) this.blockKeys.clear();
      this.blockKeys.set(key, blockKey);
    }
    return blockKey;
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
    const space = this.spaceOf(key);
    const entry = space.get(key);
    if (entry !== undefined && entry.expiresAt <= now) {
      space.delete(key);
      return undefined;
    }
    return entry;
  }

  private spaceOf(key: string): MemorySpace {
    return classifyKey(key).capacity === 'security' ? this.records : this.counters;
  }

  /** Stores a new entry at an absent key, or throws {@link StoreFullError}: nothing live is evicted. */
  private insert(key: string, value: string | null, count: number, expiresAt: number, now: number): Entry {
    const space = this.spaceOf(key);
    space.sweep(now);
    const owner = ownerOf(key);
    if (!space.hasRoom(1, owner === 'client' ? 1 : 0, owner === 'network' ? 1 : 0, now)) {
      throw this.full(key, owner);
    }
    const entry: Entry = { key, value, count, expiresAt, owner };
    space.add(entry);
    return entry;
  }

  /** Throws {@link StoreFullError} unless every key of one call fits, so the call is all or nothing. */
  private ensureRoom(newKeys: readonly string[], now: number): void {
    if (newKeys.length === 0) return;
    for (const space of [this.counters, this.records]) {
      const keys = newKeys.filter((key) => this.spaceOf(key) === space);
      if (keys.length === 0) continue;
      const owners = keys.map(ownerOf);
      const clients = owners.filter((owner) => owner === 'client').length;
      const networks = owners.filter((owner) => owner === 'network').length;
      if (!space.hasRoom(keys.length, clients, networks, now)) {
        throw this.full(keys[0], clients > 0 ? 'client' : networks > 0 ? 'network' : 'known');
      }
    }
  }

  private full(key: string, owner: EntryOwner): StoreFullError {
    const capacity = classifyKey(key).capacity;
    return new StoreFullError(
      capacity,
      capacity === 'security' ? 503 : this.countersFullStatus,
      owner === 'known' ? 'known' : 'anonymous',
    );
  }
}

/** Whose entry a key is, for the anonymous share of the counter space. */
function ownerOf(key: string): EntryOwner {
  const { capacity, owner } = classifyKey(key);
  if (capacity === 'security' || owner === 'known') return 'known';
  return isAnonymousOverflowKey(key) ? 'network' : 'client';
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
