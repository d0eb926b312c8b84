import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Public, type SecurityPrincipal } from '@api-security/nestjs';

/** `things` of the shop module, served at `/shop/things` through RouterModule. */
@Controller('things')
export class ShopThingsController {
  @Public()
  @Get()
  list(): { module: string } {
    return { module: 'shop' };
  }

  @Get('mine') // 401 without credentials
  mine(@CurrentPrincipal() principal: SecurityPrincipal): { module: string; owner: string } {
    return { module: 'shop', owner: principal.id };
  }
}
