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
   *
   * A request with `cost` 0 only reads its counter: it counts nothing, creates nothing and never
   * starts a block; it answers `blocked` while a block is on or while the hits exceed `limit` (ask
   * "is there room for n more?" with the limit lowered by n, which may then be 0). The rate limiter
   * uses it to refuse a client that is already over before paying for its authentication.
   */
  consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]>;

  /**
   * Reserves `cost` units on every counter of one call, all or nothing, in one atomic step (one
   * round trip on Redis): when any counter has no room left, none is charged. This is the step
   * before something costly whose outcome decides whether it counts (a password check, a
   * sensitive flow): reserve first, then {@link release} if the attempt must not count. With a
   * limit of N, N concurrent reservations succeed and every other one is refused, on any number of
   * instances.
   *
   * Unlike {@link consume}, a refused call counts nothing, so units given back are really free
   * again. A counter is a fixed window, created with `windowMs` by its first reservation and never
   * extended. A request with `cost` 0 only checks its counter: with `limit` 0 it refuses while the
   * key holds a positive integer (a lock whose value is its end in epoch ms, for instance).
   * Counters of one call share a `{hash tag}` so they live in one Redis Cluster slot.
   * @throws TypeError when a key holds something other than an integer.
   */
  reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult>;

  /**
   * Gives back units taken by {@link reserve}, in one atomic step. A counter that has expired, or
   * that is a later window than the reservation's (more time left than the `resetMs` it reported),
   * is left alone, and no counter goes below zero: a late give-back never frees a unit of another
   * window, and never creates a counter. (Windows are told apart by the time they have left, which
   * is exact for any give-back that comes less than one window length after its reservation.)
   */
  release(requests: readonly ReleaseRequest[]): Promise<void>;

  /**
   * Optional. Reads the keys that may veto a charge and, only when none does, charges every counter
   * of one request, in one atomic step (one round trip on Redis; on Redis Cluster when every key
   * shares one slot, else a read then a charge). The security guard uses it to read a token's
   * revocation records and charge its rate limits together, and to charge nothing when the token is
   * revoked (a stolen revoked token must not spend its victim's budget).
   *
   * Vetoes: any of `marks` present (whatever its value), or `stamp.key` present with a value that
   * is not a number at most `stamp.atMostMs`. The answer carries what was read, so the caller
   * decides from the values themselves; `counters` is empty when the charge was vetoed.
   * Counters behave exactly as in {@link consume}. A store without it is called with
   * {@link getMany} and {@link consume} instead.
   */
  consumeIfClear?(request: ConsumeIfClearRequest): Promise<ConsumeIfClearResult>;

  /** Resolves when the store can answer; throws {@link StoreUnavailableError} otherwise. */
  ping(): Promise<void>;

  /**
   * Optional boot check of the backing service's settings, called once by the module before the
   * app starts; throws to refuse to start (e.g. a Redis that may evict security records).
   */
  checkConfiguration?(): Promise<void>;

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
  /** Units this request costs (a route's weight). Integer >= 0; 0 only reads the counter. */
  readonly cost: number;
  /** Units admitted per window. Positive integer (>= 0 when `cost` is 0). */
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

/** What {@link SecurityStore.consumeIfClear} reads and charges. */
export interface ConsumeIfClearRequest {
  /** Keys whose presence vetoes the charge (revocation marks). */
  readonly marks: readonly string[];
  /** A key holding epoch milliseconds; present with a value that is not a number `<= atMostMs`, it vetoes. */
  readonly stamp?: { readonly key: string; readonly atMostMs: number };
  /** The counters to charge, as in {@link SecurityStore.consume}. */
  readonly counters: readonly ConsumeRequest[];
}

/** The answer of {@link SecurityStore.consumeIfClear}. */
export interface ConsumeIfClearResult {
  /** The value at `stamp.key` (null when absent, or when no stamp was asked). */
  readonly stamp: string | null;
  /** The values at `marks`, in the order asked (null for absent ones). */
  readonly marks: readonly (string | null)[];
  /** True when a mark or the stamp vetoed the charge: no counter was touched. */
  readonly vetoed: boolean;
  /** One state per counter, in the order asked; empty when vetoed. */
  readonly counters: readonly ConsumeResult[];
}

/** One counter to reserve on in {@link SecurityStore.reserve}. */
export interface ReserveRequest {
  readonly key: string;
  /** Units to take. Integer >= 0; 0 only checks the counter. */
  readonly cost: number;
  /** Units the counter may hold. Integer >= 0. */
  readonly limit: number;
  /** Window length in milliseconds, applied when the reservation creates the counter. */
  readonly windowMs: number;
}

/** The answer of {@link SecurityStore.reserve}. */
export interface ReserveResult {
  /** True when every counter had room and was charged; false when none was. */
  readonly reserved: boolean;
  /** One state per request, in the order asked. */
  readonly counters: readonly ReservedCounter[];
}

/** One counter after {@link SecurityStore.reserve}. */
export interface ReservedCounter {
  /** Units held after the call: this reservation included when it succeeded, unchanged when refused. */
  readonly value: number;
  /** Milliseconds until the counter's window ends; 0 when the counter does not exist. */
  readonly resetMs: number;
  /** True when this counter had no room for the cost (one of the reasons the call was refused). */
  readonly full: boolean;
}

/** Units to give back in {@link SecurityStore.release}. */
export interface ReleaseRequest {
  readonly key: string;
  /** Units to give back. Positive integer. */
  readonly cost: number;
  /**
   * The `resetMs` that {@link SecurityStore.reserve} reported for this counter. A counter with more
   * time left is a later window, which this reservation never charged, and is left alone.
   */
  readonly resetMs: number;
}

/** Injection token for the application's {@link SecurityStore}. */
export const SECURITY_STORE = Symbol.for('api-security:SecurityStore');
