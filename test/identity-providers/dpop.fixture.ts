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
import { DpopKey, TokenForge } from '@api-security/nestjs/testing';
import { JWT_AUDIENCE, JWT_ISSUER } from '../fixtures/jwt.fixture';

/** What every DPoP suite starts from: a forge for the app's own ES256 issuer, and a client key. */
export async function dpopClient(
  signingKey: Parameters<typeof TokenForge.create>[0]['key'],
): Promise<{ forge: TokenForge; key: DpopKey }> {
  const forge = await TokenForge.create({
    algorithm: 'ES256',
    key: signingKey,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
  });
  return { forge, key: await DpopKey.generate() };
}

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
