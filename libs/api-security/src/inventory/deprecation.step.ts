import { Inject, Injectable, Optional } from '@nestjs/common';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan, DeprecationPlan } from '../pipeline/route-plan';

/** The slice of a response the step writes to (Node's ServerResponse). */
interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/**
 * Enforces `@Deprecated` from the route's compiled plan, as the security guard's last step: sends
 * `Deprecation`, `Sunset` and `Link` and, once the sunset has passed, answers 410 Gone problem
 * details (unless the route chose `afterSunset: 'serve'`). Running after authentication means an
 * unauthenticated caller still gets 401 and learns nothing about the route's lifecycle.
 */
@Injectable()
export class DeprecationStep {
  private readonly now: SecurityClock;

  constructor(@Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock) {
    this.now = clock ?? systemClock;
  }

  run(plan: RoutePlan, deprecation: DeprecationPlan, response: HeaderSink): void {
    if (deprecation.afterSunset === 'gone' && this.now() >= deprecation.sunset) {
      throw new SecurityException(410, ErrorCode.GONE, {
        reason: `${plan.key} passed its sunset ${deprecation.headers.Sunset}`,
        headers: deprecation.headers,
      });
    }
    for (const name in deprecation.headers) response.setHeader(name, deprecation.headers[name]);
  }
}
