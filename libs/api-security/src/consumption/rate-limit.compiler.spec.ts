import { Controller, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import { RateLimit } from './rate-limit.decorator';
import { RateLimitCompiler, THROTTLER_LIMIT, THROTTLER_SKIP, THROTTLER_TTL } from './rate-limit.compiler';
import { resolveRateLimitOptions } from './rate-limit.options';

type Handler = (...args: unknown[]) => unknown;

function compile(controller: new () => object, method: string, options = {}) {
  const resolved = resolveRateLimitOptions(options, []);
  const handler = (controller.prototype as Record<string, Handler>)[method];
  return new RateLimitCompiler(new Reflector(), resolved).compile(handler, controller, `GET /${method}`);
}

@Controller()
class Routes {
  @Get() plain(): void {}
  @RateLimit('5/10s', { cost: 3 }) @Get() custom(): void {}
  @RateLimit({ burst: { limit: '2/1s', block: '30s' } }) @Get() extra(): void {}
  @Throttle({ default: { limit: 7, ttl: 30_000 } }) @Get() throttled(): void {}
  @SkipThrottle() @Get() skipped(): void {}
  @SkipThrottle({ global: true }) @Get() noGlobal(): void {}
}

@SkipThrottle()
@Controller()
class SkippedController {
  @Get() inherited(): void {}
  @SkipThrottle({ default: false }) @Get() reEnabled(): void {}
}

describe('RateLimitCompiler', () => {
  it('reads the metadata keys @nestjs/throttler writes', () => {
    expect(Reflect.getMetadata(`${THROTTLER_LIMIT}default`, Routes.prototype.throttled)).toBe(7);
    expect(Reflect.getMetadata(`${THROTTLER_TTL}default`, Routes.prototype.throttled)).toBe(30_000);
    expect(Reflect.getMetadata(`${THROTTLER_SKIP}default`, Routes.prototype.skipped)).toBe(true);
  });

  it('applies the configured tiers and the global budget to an undecorated route, each one budget per principal', () => {
    expect(compile(Routes, 'plain', { global: '50/1h' }).plan).toEqual({
      tiers: [
        { name: 'default', scope: 'principal', limit: 100, windowSeconds: 60, blockSeconds: 0 },
        { name: 'global', scope: 'principal', limit: 50, windowSeconds: 3600, blockSeconds: 0 },
      ],
      cost: 1,
    });
  });

  it('puts a @RateLimit tier on top of the configured one (both count), and sets the cost', () => {
    expect(compile(Routes, 'custom').plan).toEqual({
      tiers: [
        { name: 'default', scope: 'principal', limit: 100, windowSeconds: 60, blockSeconds: 0 },
        { name: 'route:default', scope: 'route', limit: 5, windowSeconds: 10, blockSeconds: 0 },
      ],
      cost: 3,
    });
  });

  it('adds a route-only tier next to the configured ones', () => {
    expect(compile(Routes, 'extra').plan?.tiers.map((tier) => [tier.name, tier.limit, tier.blockSeconds])).toEqual([
      ['default', 100, 0],
      ['route:burst', 2, 30],
    ]);
  });

  it('honours @Throttle and @SkipThrottle, on the handler or the controller', () => {
    expect(compile(Routes, 'throttled').plan?.tiers[1]).toMatchObject({
      name: 'route:default',
      scope: 'route',
      limit: 7,
      windowSeconds: 30,
    });
    expect(compile(Routes, 'skipped').plan).toBeUndefined();
    expect(compile(Routes, 'noGlobal', { global: '50/1h' }).plan?.tiers.map((tier) => tier.name)).toEqual(['default']);
    expect(compile(SkippedController, 'inherited').plan).toBeUndefined();
    expect(compile(SkippedController, 'reEnabled').plan?.tiers[0]?.name).toBe('default');
  });

  it('compiles nothing when rate limiting is disabled', () => {
    expect(compile(Routes, 'plain', { enabled: false })).toEqual({ problems: [] });
  });
});
