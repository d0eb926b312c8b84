import { parseRate } from '../common/rate.parse';
import type { FlowLimit } from '../plan/flow-plan';

/** A flow limit may span a year (e.g. sign-ups per IP); longer is almost certainly a unit mistake. */
const MAX_WINDOW_SECONDS = 31_536_000;

/**
 * Parses a flow limit in the library's one rate format (`5/3600s`, `5/1h`: five per hour). Returns
 * the problem as a sentence instead of throwing, so that every problem of a policy can be reported at once.
 */
export function parseFlowLimit(value: unknown): FlowLimit | string {
  const rate = parseRate(value, MAX_WINDOW_SECONDS);
  if (!rate) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
    return `limits look like <count>/<window> with both positive and a window of at most ${MAX_WINDOW_SECONDS}s, e.g. '5/3600s' or '5/1h' (got ${shown})`;
  }
  return Object.freeze({ ...rate, text: `${rate.limit}/${rate.windowSeconds}s` });
}
