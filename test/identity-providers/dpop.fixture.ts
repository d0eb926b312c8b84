import { Controller, Get, Post, type ModuleMetadata } from '@nestjs/common';
import {
  ApiSecurityModule,
  CurrentPrincipal,
  JwtAuthenticator,
  RequireDpop,
  type ApiSecurityModuleOptions,
  type DpopOptions,
  type JwtOptions,
  type SecurityPrincipal,
  type SecurityStoreOptions,
} from '@api-security/nestjs';

/** Scheme and host the DPoP suites send (`Host` header) and sign in `htu`. */
export const DPOP_ORIGIN = 'http://api.dpop.test';
export const DPOP_HOST = 'api.dpop.test';

/** `/api/dpop/any` takes Bearer or DPoP; `/api/dpop/only` takes DPoP only (`@RequireDpop()`). */
@Controller('dpop')
export class DpopProbeController {
  @Get('any')
  any(@CurrentPrincipal() principal: SecurityPrincipal): SecurityPrincipal {
    return principal;
  }

  @RequireDpop()
  @Get('only')
  only(@CurrentPrincipal() principal: SecurityPrincipal): SecurityPrincipal {
    return principal;
  }

  @RequireDpop()
  @Post('only')
  write(@CurrentPrincipal() principal: SecurityPrincipal): { written: string } {
    return { written: principal.id };
  }
}

/** A test app that authenticates access tokens (Bearer and DPoP), rate limit off so attacks are not throttled. */
export function dpopAppMetadata(
  jwt: JwtOptions,
  dpop: DpopOptions = {},
  store: SecurityStoreOptions = { type: 'memory' },
  extra: Pick<ApiSecurityModuleOptions, 'hardening'> = {},
): ModuleMetadata {
  return {
    imports: [
      ApiSecurityModule.forRoot({
        jwt,
        dpop,
        store,
        rateLimit: { enabled: false },
        authenticators: [JwtAuthenticator],
        ...extra,
      }),
    ],
    controllers: [DpopProbeController],
  };
}
