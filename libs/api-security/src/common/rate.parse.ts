/** Seconds per unit in `N/Ss`-style rates and `30s`-style durations. */
const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const RATE = /^(\d{1,9})\/(\d{0,9})([smhd])$/;
const DURATION = /^(\d{1,9})([smhd])$/;
/** A window over a day is a quota, not a rate limit; counters that long outlive most deployments' Redis TTL hygiene. */
const MAX_WINDOW_SECONDS = 86400;

/** A parsed rate: `limit` units per `windowSeconds`. */
export interface Rate {
  readonly limit: number;
  readonly windowSeconds: number;
}

/**
 * Parses `100/60s`, `5/m`, `1000/1h`, `10000/1d` (N per S units, S defaulting to 1), the one rate
 * format of every option and decorator. Returns undefined for anything else, including spaces, a
 * zero limit or window, and windows over `maxWindowSeconds` (a day unless the caller allows more).
 */
export function parseRate(text: unknown, maxWindowSeconds = MAX_WINDOW_SECONDS): Rate | undefined {
  if (typeof text !== 'string') return undefined;
  const match = RATE.exec(text);
  if (!match) return undefined;
  const limit = Number(match[1]);
  const count = match[2] === '' ? 1 : Number(match[2]);
  const windowSeconds = count * UNITS[match[3]];
  if (limit < 1 || windowSeconds < 1 || windowSeconds > maxWindowSeconds) return undefined;
  return { limit, windowSeconds };
}

/** Parses `30s`, `5m`, `1h`, `1d` into seconds (0 allowed: no block beyond the window). */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNITS[match[2]];
  return seconds <= MAX_WINDOW_SECONDS ? seconds : undefined;
}

/** What a bad rate string should have looked like, for boot messages. */
export const RATE_FORMAT_HINT = `use 'N/Ss' such as '100/60s', '5/1m' or '1000/1h' (a positive limit, a window of 1 s to 1 d)`;
