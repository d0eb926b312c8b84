import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { PRINCIPAL_KEY, type SecurityRequest } from '../common/security-principal';
import { FieldProjector } from './field-projector';

/**
 * Global interceptor (`APP_INTERCEPTOR`): every HTTP response value is projected for the request's
 * principal before it is serialized, so a property reaches a client only if its response class
 * allows that client to see it. Routes that write the response themselves (`@Res()`) bypass
 * interceptors and must project with {@link FieldProjector} on their own.
 */
@Injectable()
export class FieldVisibilityInterceptor implements NestInterceptor {
  /** Handler → `Controller.method`, built once per route for warnings and tripwire logs. */
  private readonly routes = new WeakMap<object, string>();

  constructor(private readonly projector: FieldProjector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.getArgByIndex<SecurityRequest>(0); // the HTTP request, without switchToHttp()'s allocation
    const route = this.routeOf(context);
    // Read when the value arrives, not now: the principal is the one the handler ran for.
    return next.handle().pipe(map((value: unknown) => this.projector.project(value, request[PRINCIPAL_KEY], route)));
  }

  private routeOf(context: ExecutionContext): string {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (route === undefined) {
      route = `${context.getClass().name || 'AnonymousController'}.${handler.name || 'handler'}`;
      this.routes.set(handler, route);
    }
    return route;
  }
}
