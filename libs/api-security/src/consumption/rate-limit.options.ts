import type { RateLimitTierPlan } from '../plan/route-plan';
import { parseDuration, parseRate, RATE_FORMAT_HINT } from '../common/rate.parse';

/** A tier given with its block duration. */
export interface RateLimitTierOptions {
  /** `N/Ss`, e.g. `'10/1s'`. */
  limit: string;
  /**
   * Once a client goes over the limit, how long every request of it is refused, e.g. `'5m'`.
   * Without it the client waits for the window to end.
   * @default the rest of the window
   */
  block?: string;
}

/** Which response header fields announce the limits. */
export type RateLimitHeaderStyle = 'ietf' | 'legacy' | 'both' | 'none';

/**
 * Rate limiting of every route (OWASP API4). Each configured tier (and the global budget) is one
 * budget per client over all the routes it counts, keyed by the authenticated principal or, when
 * there is none (public routes, failed authentication), by the client IP; a route's own
 * `@RateLimit` / `@Throttle` tiers are counted per route on top. A request must pass them all.
 */
export interface RateLimitOptions {
  /**
   * `false` switches rate limiting off for every route. In production the boot audit reports it.
   * @default true
   */
  enabled?: boolean;
  /**
   * Named tiers, each one budget per principal (per IP when anonymous) shared by every route, as
   * `N/Ss` or `{ limit, block }` (e.g. a burst tier `'10/1s'` and a sustained tier `'300/15m'`).
   * Routes add their own tiers on top with `@RateLimit()` or @nestjs/throttler's `@Throttle()`
   * (reported as `route:<name>`), and drop a tier with `@SkipThrottle({ name: true })`.
   * @default { default: '100/60s' }
   */
  tiers?: Readonly<Record<string, string | RateLimitTierOptions>>;
  /**
   * One more budget per principal (or IP) over all routes together, e.g. `'5000/1h'`, reported as
   * `global`. Every configured tier is already shared by all routes; this one differs only in that
   * `@RateLimit` cannot change it. Absent: no global budget.
   * @default undefined
   */
  global?: string | RateLimitTierOptions;
  /**
   * `ietf`: `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers);
   * `legacy`: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`; `both`; or `none`.
   * 429 answers always carry `Retry-After`.
   * @default 'ietf'
   */
  headers?: RateLimitHeaderStyle;
  /**
   * Anonymous IPv6 clients are counted per network of this prefix length (an attacker usually
   * holds a whole /64, often a /56). 32–128.
   * @default 64
   */
  ipv6PrefixLength?: number;
}

/** {@link RateLimitOptions} after validation. */
export interface ResolvedRateLimitOptions {
  readonly enabled: boolean;
  readonly tiers: readonly RateLimitTierPlan[];
  readonly global?: RateLimitTierPlan;
  readonly headers: RateLimitHeaderStyle;
  readonly ipv6PrefixLength: number;
}

const TIER_NAME = /^[A-Za-z][\w-]{0,31}$/;
const HEADER_STYLES: readonly RateLimitHeaderStyle[] = ['ietf', 'legacy', 'both', 'none'];
/** The name the global budget is reported under (headers, inventory, `@SkipThrottle({ global: true })`). */
export const GLOBAL_TIER = 'global';

/** Reads one tier, pushing a message naming `where` and the fix for each problem. */
export function resolveTier(
  name: string,
  value: unknown,
  where: string,
  problems: string[],
): RateLimitTierPlan | undefined {
  const given = typeof value === 'string' ? { limit: value } : (value as Partial<RateLimitTierOptions> | null);
  if (typeof given !== 'object' || given === null) {
    problems.push(`${where} must be a rate string or { limit, block }: ${RATE_FORMAT_HINT}.`);
    return undefined;
  }
  const unknown = Object.keys(given).filter((key) => key !== 'limit' && key !== 'block');
  if (unknown.length > 0) problems.push(`${where} has unknown option(s) ${unknown.join(', ')}: use limit and block.`);
  const rate = parseRate(given.limit);
  if (!rate) {
    problems.push(`${where} limit ${JSON.stringify(given.limit)} is not a rate: ${RATE_FORMAT_HINT}.`);
    return undefined;
  }
  let blockSeconds = 0;
  if (given.block !== undefined) {
    const parsed = parseDuration(given.block);
    if (parsed === undefined) {
      problems.push(`${where} block ${JSON.stringify(given.block)} is not a duration: use e.g. '30s', '5m', '1h'.`);
      return undefined;
    }
    blockSeconds = parsed;
  }
  return Object.freeze({
    name,
    scope: 'principal',
    limit: rate.limit,
    windowSeconds: rate.windowSeconds,
    blockSeconds,
  });
}

/** Validates the `rateLimit` section; every problem is pushed with the option's name and the fix. */
export function resolveRateLimitOptions(
  options: RateLimitOptions | undefined,
  problems: string[],
): ResolvedRateLimitOptions {
  const given = options ?? {};
  const enabled = given.enabled ?? true;
  if (typeof enabled !== 'boolean') problems.push('rateLimit.enabled must be true or false.');
  const tiers: RateLimitTierPlan[] = [];
  const entries = Object.entries(given.tiers ?? { default: '100/60s' });
  if (given.tiers !== undefined && (typeof given.tiers !== 'object' || given.tiers === null)) {
    problems.push(`rateLimit.tiers must be an object of named tiers, e.g. { default: '100/60s' }.`);
  } else {
    if (enabled && entries.length === 0 && given.global === undefined) {
      problems.push(
        `rateLimit.tiers is empty and there is no rateLimit.global: give one, or set rateLimit.enabled to false.`,
      );
    }
    for (const [name, value] of entries) {
      if (!TIER_NAME.test(name) || name === GLOBAL_TIER) {
        problems.push(`rateLimit.tiers has the name "${name}": use letters, digits, - and _ (and not "global").`);
        continue;
      }
      const tier = resolveTier(name, value, `rateLimit.tiers.${name}`, problems);
      if (tier) tiers.push(tier);
    }
  }
  const global =
    given.global === undefined ? undefined : resolveTier(GLOBAL_TIER, given.global, 'rateLimit.global', problems);
  const headers = given.headers ?? 'ietf';
  if (!HEADER_STYLES.includes(headers)) {
    problems.push(`rateLimit.headers must be one of ${HEADER_STYLES.join(', ')}.`);
  }
  const ipv6PrefixLength = given.ipv6PrefixLength ?? 64;
  if (!Number.isSafeInteger(ipv6PrefixLength) || ipv6PrefixLength < 32 || ipv6PrefixLength > 128) {
    problems.push('rateLimit.ipv6PrefixLength must be a whole number from 32 to 128.');
  }
  return Object.freeze({
    enabled: enabled === true,
    tiers: Object.freeze(tiers),
    ...(global ? { global } : {}),
    headers,
    ipv6PrefixLength,
  });
}
