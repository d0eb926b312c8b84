import { SECURITY_CLOCK, type SecurityClock } from '../common/clock';

/** The clock of the session services (refresh tokens, login attempts): the library's one clock. */
export type SessionClock = SecurityClock;
export const SESSION_CLOCK = SECURITY_CLOCK;
