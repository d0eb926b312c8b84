import type { SecurityPrincipal } from '../common/security-principal';

/**
 * The map key of a token: its last 32 characters, the end of a JWS's signature. A string is hashed
 * over all its characters the first time it is used as a key, and every request brings a new token
 * string, so a whole 300-character token cost some 3,000 instructions of hashing per request
 * (callgrind); 32 characters cost a tenth of that, and taking them needs no scan for the last dot.
 * Two tokens that end alike and differ anywhere else (a forgery reusing a signature) share a key but
 * not an entry: `get` compares the whole token, and such a token goes through full verification,
 * where its signature fails.
 */
const KEY_LENGTH = 32;

function keyOf(token: string): string {
  return token.length > KEY_LENGTH ? token.slice(-KEY_LENGTH) : token;
}

/** Entries a single insert may move to the young end before it evicts the oldest regardless. */
const SECOND_CHANCES = 32;

interface Entry {
  /** The whole token: the map's key is only its end. */
  readonly token: string;
  readonly principal: SecurityPrincipal;
  /** Epoch seconds after which the entry is dead (the token's `exp`). */
  readonly expiresAt: number;
  /** Read since it last reached the eviction end: it gets a second chance instead of being evicted. */
  used: boolean;
}

/**
 * Remembers tokens that already passed signature and claim checks, so a client reusing its token
 * costs a map lookup instead of a signature verification. Matched on the exact token string (any
 * changed byte is a miss and goes through full verification); an entry is never returned at or
 * after the token's `exp`; bounded, evicting the least recently used first (approximately: a
 * second-chance clock, so a hit costs a flag write instead of a map reorder). It caches verification
 * only: revocation is still checked on every request by the caller. Per instance, in memory.
 */
export class VerifiedTokenCache {
  /**
   * By the end of each token (see `keyOf`). Map iteration order is insertion order; a hit
   * re-inserts, so the first entry is the least recent.
   */
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) {
      throw new TypeError(`VerifiedTokenCache: maxEntries must be a whole number >= 0, got ${String(maxEntries)}.`);
    }
  }

  /** The principal of a verified, unexpired token, or undefined. */
  get(token: string, nowSeconds: number): SecurityPrincipal | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    // Any other byte of the token differing is a miss, as if the whole token were the key.
    if (entry === undefined || entry.token !== token) return undefined;
    if (!(nowSeconds < entry.expiresAt)) {
      this.entries.delete(key);
      return undefined;
    }
    // A hit only marks the entry (no Map delete and re-insert per request); eviction reorders.
    entry.used = true;
    return entry.principal;
  }

  /** Remembers a verified token until its `exp`. Principals without an expiry are not cached. */
  set(token: string, principal: SecurityPrincipal, nowSeconds: number): void {
    const expiresAt = principal.expiresAt;
    if (this.maxEntries === 0 || expiresAt === undefined || !(nowSeconds < expiresAt)) return;
    const tokenKey = keyOf(token);
    this.entries.delete(tokenKey);
    // Second chance (CLOCK): the oldest entry goes unless it was read since it was last here, in
    // which case it moves to the young end unmarked. At most SECOND_CHANCES looks per insert, so a
    // cache whose every entry is in use costs a bounded step, not a pass over all of them.
    let chances = SECOND_CHANCES;
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      const [key, entry] = oldest.value;
      this.entries.delete(key);
      if (entry.used && chances-- > 0) {
        entry.used = false;
        this.entries.set(key, entry);
      }
    }
    this.entries.set(tokenKey, { token, principal, expiresAt, used: false });
  }

  /** Number of cached tokens (expired ones included until touched or evicted). */
  get size(): number {
    return this.entries.size;
  }
}
