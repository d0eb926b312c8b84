/**
 * The library's full chain on the same handler: hardening middleware, JWT (HS256) with the
 * revocation check in the store on every request, rate limit (one store call), roles, ownership
 * through a resolver, and field projection of the response class. `REDIS_URL` puts the store in Redis.
 */
import 'reflect-metadata';
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import {
  ApiSecurityModule,
  JwtAuthenticator,
  Owns,
  provideOwnershipResolver,
  Roles,
  TokenService,
} from '@api-security/nestjs';
import { BENCH_SECRET, BENCH_USER, ORDERS, type BenchOrder } from './bench-data';
import { serve } from './serve';

@Controller('bench')
class FullController {
  @Roles('user')
  @Owns('order')
  @Get('orders/:id')
  get(@Param('id') id: string): BenchOrder {
    const order = ORDERS.get(id);
    if (!order) throw new NotFoundException();
    return order;
  }

  /** The same route without rate limiting, to price the limiter alone. */
  @Roles('user')
  @Owns('order')
  @SkipThrottle()
  @Get('unlimited/:id')
  unlimited(@Param('id') id: string): BenchOrder {
    return this.get(id);
  }
}

const limit = process.env.BENCH_RATE_LIMIT ?? '999999999/60s';
const store = process.env.REDIS_URL
  ? ({
      type: 'redis',
      url: process.env.REDIS_URL,
      keyPrefix: process.env.BENCH_KEY_PREFIX ?? `bench-${process.pid}:`,
    } as const)
  : ({ type: 'memory' } as const);

@Module({
  imports: [
    ApiSecurityModule.forRoot({
      jwt: { algorithm: 'HS256', secret: BENCH_SECRET },
      store,
      rateLimit: { tiers: { default: limit } },
      authenticators: [JwtAuthenticator],
    }),
  ],
  controllers: [FullController],
  providers: [
    provideOwnershipResolver('order', {
      useValue: { owns: async (principal, id) => ORDERS.get(id)?.ownerId === principal.id },
    }),
  ],
})
class FullModule {}

void serve(FullModule, async (app) => ({
  token: (await app.get(TokenService).issueAccessToken({ sub: BENCH_USER, role: 'user' })).token,
}));
