import { Body, Controller, HttpCode, Ip, Post, Req, type Type } from '@nestjs/common';
import { eventContext } from '../audit/event-context';
import { RateLimit } from '../consumption/rate-limit.decorator';
import { CurrentPrincipal } from './current-principal.decorator';
import { Public } from './public.decorator';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import { TokenLoginDto, TokenRefreshDto } from './token-endpoints.dto';
import type { TokenEndpointRateLimit, TokenEndpointsOptions } from './token-endpoints.options';
import { TokenEndpointsService } from './token-endpoints.service';
import { TokenPairView } from './token-pair.view';

/** `@RateLimit(value)` when the app gave limits for the route; otherwise the app's tiers apply as they are. */
function limitedBy(value: TokenEndpointRateLimit | undefined): MethodDecorator {
  return value === undefined ? () => undefined : RateLimit(value);
}

/**
 * The controller of one `TokenEndpointsModule.forRoot()`: path, version and limits are class and
 * method metadata, fixed when the class is defined, so each module instance defines its own class.
 * The routes carry the library's decorators like any app route, so the route plans, the boot audit,
 * the inventory and the OpenAPI enrichment see them as they see the app's own.
 */
export function createTokenEndpointsController(options: TokenEndpointsOptions): Type {
  const limits = options.rateLimit ?? {};

  @Controller({ path: options.path ?? 'auth', ...(options.version !== undefined ? { version: options.version } : {}) })
  class TokenEndpointsController {
    constructor(private readonly endpoints: TokenEndpointsService) {}

    @Public()
    @limitedBy(limits.login)
    @Post('login')
    @HttpCode(200)
    async login(@Body() body: TokenLoginDto, @Ip() ip: string): Promise<TokenPairView> {
      return new TokenPairView(await this.endpoints.login(body.email, body.password, ip));
    }

    @Public()
    @limitedBy(limits.refresh)
    @Post('refresh')
    @HttpCode(200)
    async refresh(@Body() body: TokenRefreshDto, @Req() request: SecurityRequest): Promise<TokenPairView> {
      const { ip, requestId } = eventContext(request);
      const pair = await this.endpoints.refresh(body.refreshToken, {
        ...(ip !== undefined ? { ip } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
      });
      return new TokenPairView(pair);
    }

    @limitedBy(limits.logout)
    @Post('logout')
    @HttpCode(204)
    async logout(@CurrentPrincipal() principal: SecurityPrincipal): Promise<void> {
      await this.endpoints.logout(principal);
    }
  }
  return TokenEndpointsController;
}
