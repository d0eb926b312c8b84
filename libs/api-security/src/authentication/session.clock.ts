/** Wall-clock time in epoch milliseconds. */
export type SessionClock = () => number;

/**
 * Optional injection token for the clock of the session services (refresh tokens, login attempts).
 * Without it they use `Date.now`. Tests and simulations provide one to move time without waiting;
 * the store's own TTLs keep running on the store's clock.
 */
export const SESSION_CLOCK = Symbol.for('api-security:SessionClock');
