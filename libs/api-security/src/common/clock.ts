/**
 * Wall-clock time in epoch milliseconds, as `Date.now` returns it.
 * @public
 */
export type SecurityClock = () => number;

/**
 * Optional injection token for the one clock the library reads wall-clock time from (token and
 * challenge expiry, cooldown ends, deprecation sunsets). Without it, `Date.now` is used. Tests and
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
