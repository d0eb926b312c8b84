import type { FlowLimit } from './flow-plan';

const LIMIT = /^(\d{1,9})\/(\d{1,9})s$/;
/** A window longer than a year is almost certainly a unit mistake. */
const MAX_WINDOW_SECONDS = 31_536_000;

/**
 * Parses `N/Ss` (`5/3600s`: five per hour). Returns the problem as a sentence instead of throwing,
 * so that every problem of a policy can be reported at once.
 */
export function parseFlowLimit(value: unknown): FlowLimit | string {
  const match = typeof value === 'string' ? LIMIT.exec(value) : null;
  const limit = Number(match?.[1]);
  const windowSeconds = Number(match?.[2]);
  if (!match || limit < 1 || windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
    return `limits look like <count>/<seconds>s with both numbers positive and a window of at most ${MAX_WINDOW_SECONDS}s, e.g. '5/3600s' (got ${shown})`;
  }
  return Object.freeze({ limit, windowSeconds, text: `${limit}/${windowSeconds}s` });
}
