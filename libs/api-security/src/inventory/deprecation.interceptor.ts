import {
  Inject,
  Injectable,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { rawResponse } from '../hardening/raw-http';
import { RoutePlanRegistry } from '../pipeline/route-plan.registry';

/** Wall-clock time in epoch milliseconds. */
export type DeprecationClock = () => number;

/**
 * Optional injection token for the clock that decides whether a sunset has passed. Without it the
 * interceptor uses `Date.now`; tests provide one to move past a sunset without waiting.
 */
export const DEPRECATION_CLOCK = Symbol.for('api-security:DeprecationClock');

/**
 * Enforces `@Deprecated` from the route's compiled plan: sends `Deprecation`, `Sunset` and `Link` on
 * the route's responses and, once the sunset has passed, answers 410 Gone problem details (unless the
 * route chose `afterSunset: 'serve'`). It runs after the security guard, so an unauthenticated caller
 * still gets 401 and learns nothing about the route's lifecycle.
 */
@Injectable()
export class DeprecationInterceptor implements NestInterceptor {
  private readonly now: DeprecationClock;

  constructor(
    private readonly registry: RoutePlanRegistry,
    @Optional() @Inject(DEPRECATION_CLOCK) clock?: DeprecationClock,
  ) {
    this.now = clock ?? Date.now;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const plan = this.registry.forHandler(
      context.getClass<Type>(),
      context.getHandler() as (...args: unknown[]) => unknown,
    );
    const deprecation = plan?.deprecation;
    if (!deprecation) return next.handle();
    if (deprecation.afterSunset === 'gone' && this.now() >= deprecation.sunset) {
      throw new SecurityException(410, ErrorCode.GONE, {
        reason: `${plan.key} passed its sunset ${deprecation.headers.Sunset}`,
        headers: deprecation.headers,
      });
    }
    const response = rawResponse(context.switchToHttp().getResponse<unknown>());
    for (const [name, value] of Object.entries(deprecation.headers)) response.setHeader(name, value);
    return next.handle();
  }
}
