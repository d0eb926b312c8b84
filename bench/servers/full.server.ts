/**
 * The library's full chain on the same handler: hardening middleware, JWT (HS256) with the
 * revocation check in the store on every request, rate limit (read with the revocation records in
 * one store call), roles, ownership through a resolver, and field projection of the response class.
 * `REDIS_URL` puts the store in Redis; its round trips so far go into the `'stats'` IPC answer.
 */
import 'reflect-metadata';
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import {
  ApiSecurityModule,
  JwtAuthenticator,
  Owns,
  provideOwnershipResolver,
  Public,
  Roles,
  SECURITY_STORE,
  TokenService,
} from '@api-security/nestjs';
import {
  BENCH_SECRET,
  ORDER_ID,
  BENCH_USER,
  ORDERS,
  PUBLIC_ORDER,
  userView,
  type BenchOrder,
  type PublicOrder,
} from './bench-data';
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

/**
 * Ablations: the library installed, one protection doing work per route. Hardening headers are set
 * on every response, so each of the others is priced on top of `headers`.
 */
@Controller('bench/ablation')
class AblationController {
  /** Headers (and the guard and interceptor with nothing to do): public, not rate-limited, plain object. */
  @Public()
  @SkipThrottle()
  @Get('headers')
  headers(): Record<string, unknown> {
    return userView(ORDERS.get(ORDER_ID) as BenchOrder);
  }

  /** Authentication alone: the bearer token and its revocation check; no roles, no rate limit. */
  @SkipThrottle()
  @Get('authentication')
  authentication(): Record<string, unknown> {
    return userView(ORDERS.get(ORDER_ID) as BenchOrder);
  }

  /** The rate limit alone: public, charged to the client address. */
  @Public()
  @Get('rate-limit')
  rateLimit(): Record<string, unknown> {
    return userView(ORDERS.get(ORDER_ID) as BenchOrder);
  }

  /** Field projection alone: public, not rate-limited, a decorated class instance. */
  @Public()
  @SkipThrottle()
  @Get('projection')
  projection(): PublicOrder {
    return PUBLIC_ORDER;
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
      // BENCH_UNSHAPED=1 prices the chain's own logic on Express, without the work the shaping saves.
      hardening: { shapeExpressRequests: process.env.BENCH_UNSHAPED !== '1' },
    }),
  ],
  controllers: [FullController, AblationController],
  providers: [
    provideOwnershipResolver('order', {
      useValue: { owns: async (principal, id) => ORDERS.get(id)?.ownerId === principal.id },
    }),
  ],
})
class FullModule {}

void serve(
  FullModule,
  async (app) => ({
    token: (await app.get(TokenService).issueAccessToken({ sub: BENCH_USER, role: 'user' })).token,
  }),
  (app) => {
    // Counted by the Redis store behind the outage-policy wrapper; the memory store makes none.
    const trips = app.get<{ roundTrips?: unknown }>(SECURITY_STORE).roundTrips;
    return typeof trips === 'number' ? { roundTrips: trips } : {};
  },
);
