import type { Provider } from '@nestjs/common';
import { RequestLimitsStep } from './request-limits.step';
import { SecurityThrottlerGuard } from './security-throttler.guard';
import { StoreThrottlerStorage } from './store-throttler.storage';

/** The security guard's resource-consumption steps (rate limit, body limits), registered by ApiSecurityModule. */
export const CONSUMPTION_PROVIDERS: Provider[] = [StoreThrottlerStorage, SecurityThrottlerGuard, RequestLimitsStep];
