import { Inject, Injectable, Optional } from '@nestjs/common';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { rawResponse } from '../common/raw-http';
import type { RoutePlan, DeprecationPlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';

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
export class DeprecationStep implements SecurityStep {
  readonly name: string = 'deprecation';
  private readonly now: SecurityClock;

  constructor(@Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock) {
    this.now = clock ?? systemClock;
  }

  appliesTo(plan: RoutePlan): boolean {
    return plan.deprecation !== undefined;
  }

  run({ plan, execution }: SecurityStepContext): void {
    if (!plan.deprecation) return;
    this.enforce(plan, plan.deprecation, rawResponse(execution.switchToHttp().getResponse<unknown>()));
  }

  /** Sends the headers, or answers 410 once the sunset has passed. */
  protected enforce(plan: RoutePlan, deprecation: DeprecationPlan, response: HeaderSink): void {
    if (deprecation.afterSunset === 'gone' && this.now() >= deprecation.sunset) {
      throw new SecurityException(410, ErrorCode.GONE, {
        reason: `${plan.key} passed its sunset ${deprecation.headers.Sunset}`,
        headers: deprecation.headers,
      });
    }
    for (const name in deprecation.headers) response.setHeader(name, deprecation.headers[name]);
  }
}
