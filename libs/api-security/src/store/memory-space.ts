/** One stored key of the memory store. */
export interface MemoryEntry {
  readonly key: string;
  /** null while the entry is a counter: the count lives in `count` so increments allocate nothing. */
  value: string | null;
  count: number;
  expiresAt: number;
  /**
   * `client`: one anonymous client's counter, bounded by the anonymous share of the space;
   * `network`: a coarse bucket anonymous clients fall back to when that share is full, which may
   * use part of the rest; `known`: anything else (principals' counters, security records).
   */
  readonly owner: EntryOwner;
}

export type EntryOwner = 'known' | 'client' | 'network';

/** Small enough to keep every write O(1), large enough to outpace the insert rate of expiring keys. */
const SWEEP_BATCH = 8;
/**
 * When a space is full and the incremental sweep found no room, a deeper sweep checks up to this
 * many more entries, continuing the same rotating cursor. Bounded so that no request ever does
 * work proportional to the store's size (a full pass over a million entries would stall the event
 * loop, and every request behind it, for tens of milliseconds).
 */
const DEEP_SWEEP_BATCH = 4096;
/** At most one deep sweep per interval: a spray of refused requests costs one batch per interval, not one per request. */
const DEEP_SWEEP_INTERVAL_MS = 10;

/**
 * A bounded set of entries that never evicts a live one: when it is full, expired entries are
 * reclaimed, and if none are, the insert is refused (the caller fails closed).
 */
export class MemorySpace {
  readonly entries = new Map<string, MemoryEntry>();
  /** Entries of anonymous clients and their fallback networks. */
  private anonymous = 0;
  /** Map iterators are live (they see later inserts and skip deletions), which makes a cheap rotating cursor. */
  private cursor: Iterator<MemoryEntry>;
  private lastDeepSweep = Number.NEGATIVE_INFINITY;

  constructor(
    readonly max: number,
    /** How many of `max` anonymous clients' entries may take, so the rest stays free for everyone else. */
    readonly clientMax: number,
    /** How many anonymous entries, fallback networks included, may be stored. */
    readonly networkMax: number,
  ) {
    this.cursor = this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): MemoryEntry | undefined {
    return this.entries.get(key);
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    if (entry.owner !== 'known') this.anonymous--;
    return true;
  }

  /** Adds an entry whose key is absent; the caller has checked {@link hasRoom} in the same tick. */
  add(entry: MemoryEntry): void {
    this.entries.set(entry.key, entry);
    if (entry.owner !== 'known') this.anonymous++;
  }

  /**
   * Whether new entries fit (`total` of them, `clients` of which are anonymous clients' and
   * `networks` fallback buckets), reclaiming expired entries first when they do not.
   */
  hasRoom(total: number, clients: number, networks: number, now: number): boolean {
    if (this.fits(total, clients, networks)) return true;
    this.sweep(now);
    if (this.fits(total, clients, networks)) return true;
    if (now - this.lastDeepSweep < DEEP_SWEEP_INTERVAL_MS) return false;
    this.lastDeepSweep = now;
    this.sweepUpTo(DEEP_SWEEP_BATCH, now);
    return this.fits(total, clients, networks);
  }

  /** Checks up to SWEEP_BATCH entries from the rotating cursor and drops the expired ones. */
  sweep(now: number): void {
    this.sweepUpTo(SWEEP_BATCH, now);
  }

  /** Checks up to `limit` entries (never more than there are) from the rotating cursor. */
  private sweepUpTo(limit: number, now: number): void {
    // Never more checks than entries: a small space would otherwise wrap around (and allocate a
    // fresh iterator) several times per write, looking at the same few entries again.
    const batch = Math.min(limit, this.entries.size);
    for (let i = 0; i < batch; i++) {
      let next = this.cursor.next();
      if (next.done === true) {
        // A finished Map iterator stays finished, so wrap around with a fresh one.
        this.cursor = this.entries.values();
        next = this.cursor.next();
        if (next.done === true) return;
      }
      if (next.value.expiresAt <= now) this.delete(next.value.key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.anonymous = 0;
    this.cursor = this.entries.values();
    this.lastDeepSweep = Number.NEGATIVE_INFINITY;
  }

  private fits(total: number, clients: number, networks: number): boolean {
    if (this.entries.size + total > this.max) return false;
    if (clients > 0 && this.anonymous + clients > this.clientMax) return false;
    return networks === 0 || this.anonymous + clients + networks <= this.networkMax;
  }
}
