interface Entry {
  readonly active: boolean;
  /** Clock milliseconds after which the answer must be asked again. */
  readonly expiresAt: number;
}

/**
 * Answers of the application's principal check, per subject, for a short time. Bounded: when full,
 * the oldest answer is dropped first, so a flood of distinct subjects costs lookups, never memory.
 * Concurrent misses for one subject share one lookup. Per instance, in memory.
 */
export class PrincipalCheckCache {
  /** Map iteration order is insertion order: the first entry is the oldest answer. */
  private readonly answers = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<boolean>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new TypeError('PrincipalCheckCache: ttlMs must be >= 0.');
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('PrincipalCheckCache: maxEntries must be a whole number >= 1.');
    }
  }

  /** The cached answer for `subjectId`, or the answer of `lookup` (remembered for the TTL). */
  async get(subjectId: string, lookup: (subjectId: string) => Promise<boolean>): Promise<boolean> {
    const cached = this.answers.get(subjectId);
    if (cached !== undefined) {
      if (this.now() < cached.expiresAt) return cached.active;
      this.answers.delete(subjectId);
    }
    const inFlight = this.pending.get(subjectId);
    if (inFlight !== undefined) return inFlight;
    const asked = lookup(subjectId).then(
      (active) => {
        this.pending.delete(subjectId);
        this.remember(subjectId, active);
        return active;
      },
      (error: unknown) => {
        // A failed lookup is not remembered: the next request asks again.
        this.pending.delete(subjectId);
        throw error;
      },
    );
    this.pending.set(subjectId, asked);
    return asked;
  }

  /** Number of remembered answers (expired ones included until asked for or evicted). */
  get size(): number {
    return this.answers.size;
  }

  private remember(subjectId: string, active: boolean): void {
    if (this.ttlMs === 0) return;
    this.answers.delete(subjectId);
    while (this.answers.size >= this.maxEntries) {
      const oldest = this.answers.keys().next();
      if (oldest.done) break;
      this.answers.delete(oldest.value);
    }
    this.answers.set(subjectId, { active, expiresAt: this.now() + this.ttlMs });
  }
}
