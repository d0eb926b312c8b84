import { Injectable, type CallHandler, type CanActivate, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';

/** Does nothing: Nest's own cost of running a global guard, the *floor* of every benchmark. */
@Injectable()
export class NoopGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** Does nothing: Nest's own cost of running a global interceptor, the *floor* of every benchmark. */
@Injectable()
export class NoopInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}
