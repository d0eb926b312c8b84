import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Roles, type SecurityPrincipal } from '@api-security/nestjs';

@Controller('admin')
export class AdminController {
  /** Admins only: any other signed-in caller gets 403. */
  @Get('stats')
  @Roles('admin')
  stats(@CurrentPrincipal() principal: SecurityPrincipal): { requestedBy: string } {
    return { requestedBy: principal.id };
  }
}
