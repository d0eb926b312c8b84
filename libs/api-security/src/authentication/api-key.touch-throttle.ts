/**
 * Remembers when each key's last-used time was last written, so a busy key costs one write per
 * interval instead of one per request. Per instance on purpose: it only saves writes, it protects
 * nothing, so a few extra writes across instances are cheaper than a shared-store round trip on
 * every request. Bounded: when full, the entries touched longest ago go first.
 */
export class ApiKeyTouchThrottle {
  /** Key id → monotonic milliseconds of the last write; insertion order is touch order. */
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** True when `id` is due for a write at `nowMs` (a monotonic clock), and records that it was written. */
  due(id: string, nowMs: number): boolean {
    const last = this.lastTouched.get(id);
    if (last !== undefined && nowMs - last < this.intervalMs) return false;
    this.lastTouched.delete(id);
    if (this.lastTouched.size >= this.maxEntries) this.evict(nowMs);
    this.lastTouched.set(id, nowMs);
    return true;
  }

  /** Number of keys currently remembered. */
  get size(): number {
    return this.lastTouched.size;
  }

  private evict(nowMs: number): void {
    for (const [id, at] of this.lastTouched) {
      const stale = nowMs - at >= this.intervalMs;
      if (!stale && this.lastTouched.size < this.maxEntries) break;
      this.lastTouched.delete(id);
    }
  }
}
