import type { Provider } from '@nestjs/common';
import { RequestLimitsStep } from './request-limits.step';
import { RateLimitStep } from './rate-limit.step';
import { StoreThrottlerStorage } from './store-throttler.storage';

/** The security guard's resource-consumption steps (rate limit, body limits), registered by ApiSecurityModule. */
export const CONSUMPTION_PROVIDERS: Provider[] = [StoreThrottlerStorage, RateLimitStep, RequestLimitsStep];
