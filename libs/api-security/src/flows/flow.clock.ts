/** Wall-clock time in epoch milliseconds. */
export type FlowClock = () => number;

/**
 * Optional injection token for the clock of sensitive flows (challenge expiry, cooldown ends).
 * Without it they use `Date.now`. Tests provide one to move time without waiting; the store's own
 * TTLs keep running on the store's clock.
 */
export const FLOW_CLOCK = Symbol.for('api-security:FlowClock');
