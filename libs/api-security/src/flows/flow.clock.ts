import { SECURITY_CLOCK, type SecurityClock } from '../common/clock';

/** The clock of sensitive flows (challenge expiry, cooldown ends): the library's one clock. */
export type FlowClock = SecurityClock;
export const FLOW_CLOCK = SECURITY_CLOCK;
