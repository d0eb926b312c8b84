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

  /**
   * Charges every rate-limit counter of one request in one atomic step (one round trip on Redis).
   * Each counter is a fixed window: created with `windowMs`, never extended. A counter pushed over
   * its limit is blocked for `blockMs` (a blocked counter refuses without counting), so the
   * answer for concurrent requests is exact: with a limit of N, exactly N are admitted.
   * Counters of one call share a `{hash tag}` so they live in one Redis Cluster slot.
   */
  consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]>;

  /** Resolves when the store can answer; throws {@link StoreUnavailableError} otherwise. */
  ping(): Promise<void>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** The current value of a counter and when it resets, as `SecurityStore.get` reads it. */
export interface CounterState {
  /** The counter after the increment. */
  value: number;
  /** Milliseconds until the counter expires. */
  ttlMs: number;
}

/** One counter to charge in {@link SecurityStore.consume}. */
export interface ConsumeRequest {
  readonly key: string;
  /** Units this request costs (a route's weight). Positive integer. */
  readonly cost: number;
  /** Units admitted per window. Positive integer. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
  /** How long the counter refuses everything once over the limit, in milliseconds; 0 = until the window ends. */
  readonly blockMs: number;
}

/** The state of one counter after {@link SecurityStore.consume}. */
export interface ConsumeResult {
  /** Units counted in the current window, this request included unless it was refused while blocked. */
  readonly hits: number;
  /** Milliseconds until the window resets. */
  readonly resetMs: number;
  /** True when this request is refused: it went over the limit, or the counter was already blocked. */
  readonly blocked: boolean;
  /** Milliseconds until the counter admits again; 0 unless blocked. */
  readonly retryAfterMs: number;
}

/** Injection token for the application's {@link SecurityStore}. */
export const SECURITY_STORE = Symbol.for('api-security:SecurityStore');
