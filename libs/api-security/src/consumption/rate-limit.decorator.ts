import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { RateLimitTierOptions } from './rate-limit.options';

/** Options of {@link RateLimit} beyond the limits themselves. */
export interface RateLimitDecoratorOptions {
  /**
   * Units one request of this route costs against every tier and the global budget (an export
   * costing 10 uses up the default budget ten times faster). Positive integer.
   * @default 1
   */
  cost?: number;
}

/** What `@RateLimit` stores; read once at boot by the route-plan compiler. */
export interface RateLimitMetadata {
  readonly tiers: Readonly<Record<string, string | RateLimitTierOptions>>;
  readonly cost?: number;
}

export const RATE_LIMIT_METADATA = 'api-security:rate-limit';
/** The tier a bare rate string overrides. */
export const DEFAULT_TIER = 'default';

/**
 * Per-route (or per-controller) limits, on top of the general budget: each tier given here is
 * counted per route and principal (reported as `route:<name>`, a string being the `default` tier),
 * and a request must pass it and every configured tier, which stay one budget per principal over
 * all routes. A route can so tighten the general budget, never loosen it: to give a route a budget
 * of its own instead, add `@SkipThrottle({ default: true })` and a differently named tier.
 * Validated at boot with a message naming the route.
 *
 * @example
 * ```ts
 * @RateLimit('5/60s')                                   // at most 5 a minute here, within the general budget
 * @RateLimit({ burst: '3/1s', daily: { limit: '100/1d', block: '1h' } }, { cost: 2 })
 * ```
 */
export function RateLimit(
  limits: string | Readonly<Record<string, string | RateLimitTierOptions>>,
  options: RateLimitDecoratorOptions = {},
): MethodDecorator & ClassDecorator {
  const tiers = typeof limits === 'string' ? { [DEFAULT_TIER]: limits } : limits;
  const metadata: RateLimitMetadata = Object.freeze({
    tiers: Object.freeze({ ...tiers }),
    ...(options.cost !== undefined ? { cost: options.cost } : {}),
  });
  return applyDecorators(SetMetadata(RATE_LIMIT_METADATA, metadata));
}
