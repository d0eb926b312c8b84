import type { SecurityStorePurpose } from './store-outage.policy';

/**
 * What a store key is for, decided from its namespace in one place so that every store (and the
 * capacity rules of the memory store) classify keys the same way. The purpose names are the ones
 * services use to ask for the store (`InjectSecurityStore(purpose)`), grouped in two kinds:
 *
 * - counters (`rateLimit`, `velocity`, `alerts`): losing one only resets a limit early;
 * - security records (`revocation`, `refreshToken`, `challenge`, `lockout`): their absence reads as
 *   "not revoked", "not spent", "not locked", so they must never be dropped to make room.
 *
 * A key no builder of the library makes (an application's own use of the store) is a security
 * record: the safe assumption for state whose meaning the store cannot know.
 */
export type KeyPurpose = SecurityStorePurpose | 'application';

/** How a key is kept when memory is bounded: `security` records are never evicted for counters. */
export type KeyCapacityClass = 'counter' | 'security';

/** Counter keys of clients identified only by their address: the ones an anonymous spray creates. */
export type CounterOwner = 'anonymous' | 'known';

export interface KeyClassification {
  readonly purpose: KeyPurpose;
  readonly capacity: KeyCapacityClass;
  /** For counters: whether the key belongs to an anonymous client (one per address or network). */
  readonly owner: CounterOwner;
}

const SECURITY = (purpose: KeyPurpose): KeyClassification => ({ purpose, capacity: 'security', owner: 'known' });
const REVOCATION = SECURITY('revocation');
const REFRESH = SECURITY('refreshToken');
const CHALLENGE = SECURITY('challenge');
const LOCKOUT = SECURITY('lockout');
const APPLICATION = SECURITY('application');
const ALERTS: KeyClassification = { purpose: 'alerts', capacity: 'counter', owner: 'known' };
const RATE_KNOWN: KeyClassification = { purpose: 'rateLimit', capacity: 'counter', owner: 'known' };
const RATE_ANONYMOUS: KeyClassification = { purpose: 'rateLimit', capacity: 'counter', owner: 'anonymous' };
const FLOW_ANONYMOUS: KeyClassification = { purpose: 'velocity', capacity: 'counter', owner: 'anonymous' };
/**
 * A principal's flow reservations and cooldowns: a counter for outages, but a security record for
 * capacity, because dropping one would hand a user a fresh budget on a sensitive flow (checkout,
 * transfer) without any spray of their own.
 */
const FLOW_PRINCIPAL: KeyClassification = { purpose: 'velocity', capacity: 'security', owner: 'known' };

/** `flow:<name>:ip:<hash>:<counting>:<window>` or `flow:<name>:ip:<hash>:cooldown` (see flow.keys.ts). */
const FLOW_IP_SCOPE = /:ip:[0-9a-f]{32}:(?:[a-z]+:\d+|cooldown)$/;

/** Prefix of the coarse rate-limit buckets that anonymous clients fall back to when their table is full. */
export const ANONYMOUS_OVERFLOW_TRACKER = 'anon-net:';
/** Built once: a template literal here would build the string again on every store call. */
const ANONYMOUS_OVERFLOW_KEY = `rl:{${ANONYMOUS_OVERFLOW_TRACKER}`;

/**
 * Classifies a key by the namespace its builder gave it (see `authentication/*.keys.ts`,
 * `flows/flow.keys.ts`, the rate limiter's `rl:{tracker}:…` and the alerts' `alert:{…}`).
 * O(1): only the first characters are looked at.
 */
export function classifyKey(key: string): KeyClassification {
  if (key.startsWith('rl:{')) {
    return key.startsWith('rl:{ip:') || key.startsWith(ANONYMOUS_OVERFLOW_KEY) ? RATE_ANONYMOUS : RATE_KNOWN;
  }
  if (key.startsWith('{u:')) return REVOCATION;
  if (key.startsWith('{rt:') || key.startsWith('{rf:')) return REFRESH;
  if (key.startsWith('{fc:')) return CHALLENGE;
  if (key.startsWith('{la:') || key.startsWith('{li:')) return LOCKOUT;
  if (key.startsWith('flow:')) {
    // Read from the end: the flow name is the application's and may itself hold ':'.
    return FLOW_IP_SCOPE.test(key) ? FLOW_ANONYMOUS : FLOW_PRINCIPAL;
  }
  if (key.startsWith('alert:')) return ALERTS;
  return APPLICATION;
}

/** True for the coarse fallback buckets, which may use the headroom anonymous clients cannot. */
export function isAnonymousOverflowKey(key: string): boolean {
  return key.startsWith(ANONYMOUS_OVERFLOW_KEY);
}
