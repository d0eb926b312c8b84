import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Public, type SecurityPrincipal } from '@api-security/nestjs';

/** `things` of the admin module, served at `/admin/things` through RouterModule. */
@Controller('things')
export class AdminThingsController {
  @Public()
  @Get()
  list(): { module: string } {
    return { module: 'admin' };
  }

  @Get('mine') // 401 without credentials
  mine(@CurrentPrincipal() principal: SecurityPrincipal): { module: string; owner: string } {
    return { module: 'admin', owner: principal.id };
  }
}
