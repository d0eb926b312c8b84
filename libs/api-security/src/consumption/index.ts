export { BodyLimit, BODY_LIMIT_METADATA } from './body-limit.decorator';
export { clientAddressKey } from './client-address';
export { CONSUMPTION_PROVIDERS } from './consumption.providers';
export { jsonShapeViolation, type JsonShapeViolation } from './json-shape';
export { parseDuration, parseRate, type Rate } from './rate.parse';
export {
  DEFAULT_TIER,
  RATE_LIMIT_METADATA,
  RateLimit,
  type RateLimitDecoratorOptions,
  type RateLimitMetadata,
} from './rate-limit.decorator';
export {
  GLOBAL_TIER,
  type RateLimitHeaderStyle,
  type RateLimitOptions,
  type RateLimitTierOptions,
  type ResolvedRateLimitOptions,
} from './rate-limit.options';
export type { RequestLimitOptions, ResolvedRequestLimits } from './request-limits.options';
export { RequestLimitsStep } from './request-limits.step';
export { SecurityThrottlerGuard } from './security-throttler.guard';
export { StoreThrottlerStorage } from './store-throttler.storage';
