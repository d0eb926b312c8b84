/**
 * The one place where shared security state lives (rate-limit counters, lockouts, revoked
 * token ids, refresh-token families, flow velocity, one-time challenges).
 *
 * Every operation is atomic and, on Redis, one round trip. Keys are opaque strings chosen by
 * the caller; callers that touch several related keys in one operation put the shared part in
 * a Redis Cluster hash tag (`{user:42}:jti:…`) so they land in the same slot.
 *
 * Implementations throw {@link StoreUnavailableError} when the backing service cannot answer in
 * time; they never hang and never return a made-up answer.
 */
export interface SecurityStore {
  /**
   * Adds `by` to the counter at `key` and returns the new value. The TTL is set when the
   * counter is created and not extended by later increments (a fixed window).
   */
  increment(key: string, ttlMs: number, by?: number): Promise<CounterState>;

  /** Stores `value` only if `key` is absent (one-time use). Returns true when it was stored. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;

  /** The value at `key`, or null when absent or expired. */
  get(key: string): Promise<string | null>;

  /** Values for several keys in one round trip, in the order asked (null for absent ones). */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;

  /** Stores `value` at `key`, replacing any previous value and TTL. */
  set(key: string, value: string, ttlMs: number): Promise<void>;

  /** Returns the value at `key` and deletes it in the same atomic step (null when absent). */
  take(key: string): Promise<string | null>;

  /** Deletes `key`. Returns true when something was deleted. */
  delete(key: string): Promise<boolean>;

  /** Resolves when the store can answer; throws {@link StoreUnavailableError} otherwise. */
  ping(): Promise<void>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

export interface CounterState {
  /** The counter after the increment. */
  value: number;
  /** Milliseconds until the counter expires. */
  ttlMs: number;
}

/** Injection token for the application's {@link SecurityStore}. */
export const SECURITY_STORE = Symbol.for('api-security:SecurityStore');
