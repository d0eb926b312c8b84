/**
 * Nest's own cost of a guarded, intercepted route: the bare handler behind a global guard and a
 * global interceptor that do nothing. `full` minus `floor` is what the library itself costs.
 */
import 'reflect-metadata';
import {
  type CallHandler,
  type CanActivate,
  Controller,
  Get,
  Injectable,
  Module,
  type NestInterceptor,
  NotFoundException,
  Param,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { ORDERS, userView } from './bench-data';
import { serve } from './serve';

@Injectable()
class NoopGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Controller('bench')
class FloorController {
  @Get('orders/:id')
  get(@Param('id') id: string): Record<string, unknown> {
    const order = ORDERS.get(id);
    if (!order) throw new NotFoundException();
    return userView(order);
  }
}

@Module({
  controllers: [FloorController],
  providers: [
    { provide: APP_GUARD, useClass: NoopGuard },
    { provide: APP_INTERCEPTOR, useClass: NoopInterceptor },
  ],
})
class FloorModule {}

void serve(FloorModule);
