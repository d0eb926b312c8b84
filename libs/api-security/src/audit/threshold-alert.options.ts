import { parseRate, RATE_FORMAT_HINT } from '../common/rate.parse';
import { SECURITY_EVENT_TYPES, type SecurityEventType } from './security-event';

/**
 * Raise an `alert.threshold` security event when one source produces more than `limit` events of
 * one type within the window, e.g. `{ event: 'authentication.failure', by: 'ip', limit: '20/5m' }`.
 * Counted in the shared store, so the threshold holds across instances.
 */
export interface ThresholdAlertRule {
  /** The event type to count. */
  event: SecurityEventType;
  /** Count per client IP or per principal; events without that field are not counted. */
  by: 'ip' | 'principal';
  /** `N/Ss`: more than N events within S seconds raise one alert per window. */
  limit: string;
}

/** A rule after validation. */
export interface ResolvedThresholdAlertRule {
  readonly event: SecurityEventType;
  readonly by: 'ip' | 'principal';
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Alerts count what the pipeline reports; an alert itself is never counted (no alert loops). */
const EVENTS: ReadonlySet<string> = new Set(SECURITY_EVENT_TYPES.filter((type) => type !== 'alert.threshold'));

/** Validates `audit.alerts`; each problem names the rule by its index. */
export function resolveThresholdAlerts(rules: unknown, problems: string[]): readonly ResolvedThresholdAlertRule[] {
  if (rules === undefined) return Object.freeze([]);
  if (!Array.isArray(rules)) {
    problems.push(`audit.alerts must be an array of { event, by, limit } rules.`);
    return Object.freeze([]);
  }
  const resolved: ResolvedThresholdAlertRule[] = [];
  rules.forEach((rule: Partial<ThresholdAlertRule> | null, i) => {
    const where = `audit.alerts[${i}]`;
    if (typeof rule !== 'object' || rule === null) {
      problems.push(`${where} must be an object { event, by, limit }.`);
      return;
    }
    const rate = parseRate(rule.limit);
    const ok = typeof rule.event === 'string' && EVENTS.has(rule.event);
    if (!ok) problems.push(`${where}.event must be one of ${[...EVENTS].join(', ')}.`);
    if (rule.by !== 'ip' && rule.by !== 'principal') problems.push(`${where}.by must be 'ip' or 'principal'.`);
    if (!rate) problems.push(`${where}.limit ${JSON.stringify(rule.limit)} is not a rate: ${RATE_FORMAT_HINT}.`);
    if (ok && rate && (rule.by === 'ip' || rule.by === 'principal')) {
      resolved.push(Object.freeze({ event: rule.event as SecurityEventType, by: rule.by, ...rate }));
    }
  });
  return Object.freeze(resolved);
}
