import { createHash } from 'node:crypto';

/**
 * The cache key of a token: its SHA-256, so the raw token is never a map key (heap snapshots,
 * debug dumps) and every key has the same small size whatever the token's length.
 */
export function introspectionKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * A bounded map of introspection results with an expiry per entry (epoch ms). When full, expired
 * entries go first, then the oldest inserted: an attacker filling it with garbage tokens only
 * shortens how long results are reused, never grows memory.
 */
export class IntrospectionCache<T> {
  private readonly entries = new Map<string, { readonly value: T; readonly expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The live value under `key`, else undefined (an expired entry is dropped on the way). */
  get(key: string, now: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, expiresAt: number, now: number): void {
    if (expiresAt <= now) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.evict(now);
    this.entries.set(key, { value, expiresAt });
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) return;
      this.entries.delete(oldest.value);
    }
  }
}
