/**
 * Wall-clock time in epoch milliseconds, as `Date.now` returns it.
 * @public
 */
export type SecurityClock = () => number;

/**
 * Optional injection token for the one clock the library reads wall-clock time from (token
 * issuance and expiry, revocation, refresh tokens and lockouts, API key expiry, challenge expiry,
 * cooldown ends, deprecation sunsets, security event times). Without it, `Date.now` is used. Tests and
 * simulations provide one to move time without waiting; the store's own TTLs keep running on the
 * store's clock.
 *
 * @example
 * ```ts
 * providers: [{ provide: SECURITY_CLOCK, useValue: () => fakeNow }]
 * ```
 * @public
 */
export const SECURITY_CLOCK = Symbol.for('api-security:Clock');

/**
 * The clock of a provider given no {@link SECURITY_CLOCK}: `Date.now`, looked up at each call so
 * that fake timers installed after construction still apply.
 * @internal
 */
export const systemClock: SecurityClock = () => Date.now();
