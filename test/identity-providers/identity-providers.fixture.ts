import { Controller, Get, Global, Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import {
  ApiSecurityModule,
  CurrentPrincipal,
  JwtAuthenticator,
  Roles,
  SECURITY_CLOCK,
  Scopes,
  type ApiSecurityModuleOptions,
  type SecurityPrincipal,
} from '@api-security/nestjs';

/** Routes guarded by the library: any valid token, a scope, a role of the hierarchy. */
@Controller('idp')
export class IdentityProviderProbeController {
  @Get('me')
  me(@CurrentPrincipal() principal: SecurityPrincipal) {
    return {
      id: principal.id,
      authMethod: principal.authMethod,
      roles: principal.roles,
      scopes: principal.scopes,
      issuer: principal.issuer ?? null,
      clientId: principal.clientId ?? null,
      subjectType: principal.subjectType ?? null,
    };
  }

  @Get('orders')
  @Scopes('orders:read')
  orders() {
    return { orders: [] };
  }

  @Get('orders-write')
  @Scopes('orders:write')
  writeOrders() {
    return { written: true };
  }

  @Get('manage')
  @Roles('manager')
  manage() {
    return { managed: true };
  }
}

/** A clock the test moves forward (cooldowns, cache lifetimes, stale bounds) without waiting. */
export class TestClock {
  offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

@Global()
@Module({})
class TestClockModule {}

/** Provides SECURITY_CLOCK globally, so the library's providers read the test's clock. */
export function clockModule(clock: TestClock): DynamicModule {
  return {
    module: TestClockModule,
    providers: [{ provide: SECURITY_CLOCK, useValue: clock.now }],
    exports: [SECURITY_CLOCK],
  };
}

export function identityProviderApp(options: ApiSecurityModuleOptions, clock: TestClock): ModuleMetadata {
  return {
    imports: [
      clockModule(clock),
      ApiSecurityModule.forRoot({
        // The suites send thousands of requests from one address; rate limiting is not under test here.
        rateLimit: { tiers: { default: '1000000/60s' } },
        ...options,
        authenticators: [JwtAuthenticator],
      }),
    ],
    controllers: [IdentityProviderProbeController],
  };
}
