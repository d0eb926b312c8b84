import type { Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { RateLimitPlan, RateLimitTierPlan } from '../plan/route-plan';
import { RATE_LIMIT_METADATA, type RateLimitMetadata } from './rate-limit.decorator';
import { GLOBAL_TIER, resolveTier, type ResolvedRateLimitOptions } from './rate-limit.options';

type Handler = (...args: unknown[]) => unknown;

/*
 * Metadata keys of @nestjs/throttler's `@Throttle` and `@SkipThrottle` (suffixed with the tier
 * name). The package does not export them from its root; rate-limit.compiler.spec.ts proves they
 * match what its decorators write.
 */
export const THROTTLER_LIMIT = 'THROTTLER:LIMIT';
export const THROTTLER_TTL = 'THROTTLER:TTL';
export const THROTTLER_BLOCK_DURATION = 'THROTTLER:BLOCK_DURATION';
export const THROTTLER_SKIP = 'THROTTLER:SKIP';

/**
 * Route tiers are reported (headers, events, inventory) as `route:<name>`, apart from the
 * principal-wide tier of the same name; configured tier names cannot contain `:`.
 */
export const ROUTE_TIER_PREFIX = 'route:';

/**
 * Turns the rate-limit options and a route's decorators (`@RateLimit`, and @nestjs/throttler's
 * `@Throttle` / `@SkipThrottle`, handler over controller) into the route's {@link RateLimitPlan},
 * once at boot: the configured tiers and the global budget (one budget per principal across
 * routes), then the route's own tiers; a request must pass them all. Problems are returned as messages so the registry can report them per route.
 */
export class RateLimitCompiler {
  constructor(
    private readonly reflector: Reflector,
    private readonly options: ResolvedRateLimitOptions,
  ) {}

  compile(handler: Handler, controller: Type, route: string): { plan?: RateLimitPlan; problems: string[] } {
    const problems: string[] = [];
    if (!this.options.enabled) return { problems };
    const targets: [Handler, Type] = [handler, controller];
    const custom = this.reflector.getAllAndOverride<RateLimitMetadata | undefined>(RATE_LIMIT_METADATA, targets);
    const overrides = new Map<string, RateLimitTierPlan>();
    for (const [name, value] of Object.entries(custom?.tiers ?? {})) {
      if (name === GLOBAL_TIER) {
        problems.push(`@RateLimit cannot set "${GLOBAL_TIER}": the global budget is one for all routes.`);
        continue;
      }
      const tier = resolveTier(name, value, `@RateLimit tier "${name}" on ${route}`, problems);
      if (tier) overrides.set(name, tier);
    }
    const cost = custom?.cost ?? 1;
    if (!Number.isSafeInteger(cost) || cost < 1 || cost > 1000) {
      problems.push(`@RateLimit cost on ${route} must be a whole number from 1 to 1000.`);
    }

    // Configured tiers (and the global budget) are one budget per principal over every route they
    // count; a route's own limits come on top, so a route can tighten the general budget but never
    // multiply it by the number of routes.
    const tiers: RateLimitTierPlan[] = [];
    const routeTiers: RateLimitTierPlan[] = [];
    const names = new Set([...this.options.tiers.map((tier) => tier.name), ...overrides.keys()]);
    for (const name of names) {
      if (this.reflector.getAllAndOverride<boolean | undefined>(THROTTLER_SKIP + name, targets) === true) continue;
      const shared = this.options.tiers.find((tier) => tier.name === name);
      if (shared) tiers.push(shared);
      const own = overrides.get(name);
      const throttled = this.fromThrottle(name, targets, own ?? shared, route, problems);
      const tier = throttled ?? own;
      if (tier) routeTiers.push(Object.freeze({ ...tier, name: `${ROUTE_TIER_PREFIX}${name}`, scope: 'route' }));
    }
    const global = this.options.global;
    if (
      global &&
      this.reflector.getAllAndOverride<boolean | undefined>(THROTTLER_SKIP + GLOBAL_TIER, targets) !== true
    ) {
      tiers.push(global);
    }
    tiers.push(...routeTiers);
    if (problems.length > 0 || tiers.length === 0) return { problems };
    return { plan: Object.freeze({ tiers: Object.freeze(tiers), cost }), problems };
  }

  /** `@Throttle({ name: { limit, ttl, blockDuration } })` (ttl and blockDuration in ms, as in @nestjs/throttler). */
  private fromThrottle(
    name: string,
    targets: [Handler, Type],
    base: RateLimitTierPlan | undefined,
    route: string,
    problems: string[],
  ): RateLimitTierPlan | undefined {
    const limit = this.reflector.getAllAndOverride<unknown>(THROTTLER_LIMIT + name, targets);
    const ttl = this.reflector.getAllAndOverride<unknown>(THROTTLER_TTL + name, targets);
    const block = this.reflector.getAllAndOverride<unknown>(THROTTLER_BLOCK_DURATION + name, targets);
    if (limit === undefined && ttl === undefined && block === undefined) return undefined;
    const where = `@Throttle tier "${name}" on ${route}`;
    // Resolvers computed per request would put reflection and user code back on the hot path.
    for (const [option, value] of [
      ['limit', limit],
      ['ttl', ttl],
      ['blockDuration', block],
    ] as const) {
      if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
        problems.push(`${where}: ${option} must be a whole number (functions are not supported), got ${typeof value}.`);
        return undefined;
      }
    }
    const windowSeconds = ttl === undefined ? base?.windowSeconds : Math.ceil((ttl as number) / 1000);
    const finalLimit = (limit as number | undefined) ?? base?.limit;
    if (windowSeconds === undefined || finalLimit === undefined || finalLimit < 1 || windowSeconds < 1) {
      problems.push(`${where}: needs a positive limit and ttl (milliseconds) for a tier that is not configured.`);
      return undefined;
    }
    const blockSeconds = block === undefined ? (base?.blockSeconds ?? 0) : Math.ceil((block as number) / 1000);
    return Object.freeze({ name, scope: 'route', limit: finalLimit, windowSeconds, blockSeconds });
  }
}
