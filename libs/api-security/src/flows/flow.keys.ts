import { createHash } from 'node:crypto';
import type { FlowCounting } from '../plan/flow-plan';

/**
 * Store keys of sensitive flows. Principals and IPs appear only as truncated SHA-256 hashes (IPs
 * are personal data, and ids may be long); a challenge's record and its used marker share the
 * `{fc:<challenge>}` hash tag so both are read in one round trip, on Redis Cluster too.
 */

/** Who a counter or cooldown is about: an authenticated principal or a client IP. */
export type FlowScope = 'principal' | 'ip';

export function subjectHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** A fixed-window counter of one flow, scope, subject, counting and window length. */
export function flowCounterKey(
  flow: string,
  scope: FlowScope,
  subject: string,
  counting: FlowCounting,
  windowSeconds: number,
): string {
  return `flow:${flow}:${scope === 'principal' ? 'p' : 'ip'}:${subjectHash(subject)}:${counting}:${windowSeconds}`;
}

/** Present while the subject is cooling down after a success; the value is its end in epoch ms. */
export function flowCooldownKey(flow: string, scope: FlowScope, subject: string): string {
  return `flow:${flow}:${scope === 'principal' ? 'p' : 'ip'}:${subjectHash(subject)}:cooldown`;
}

/** An issued challenge: JSON of who and which flow it is for, its difficulty and expiry. */
export function challengeKey(challenge: string): string {
  return `{fc:${challenge}}`;
}

/** Written once when a challenge is answered: its single use. */
export function challengeUsedKey(challenge: string): string {
  return `{fc:${challenge}}:used`;
}
