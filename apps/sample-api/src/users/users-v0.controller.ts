import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Deprecated, type SecurityPrincipal } from '@api-security/nestjs';
import type { UserProfile } from './user-profile';
import { UsersService } from './users.service';

/**
 * The first version of the profile route, kept for old clients: same body as v1, announced as
 * deprecated by headers (`Deprecation`, `Sunset`, `Link` to the successor) and in the OpenAPI
 * document. After the sunset it answers 410 Gone.
 */
@Controller({ path: 'users', version: '0' })
export class UsersV0Controller {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Deprecated({ since: '2026-01-01T00:00:00Z', sunset: '2030-01-01T00:00:00Z', successor: '/api/v1/users/me' })
  me(@CurrentPrincipal() principal: SecurityPrincipal): Promise<UserProfile> {
    return this.users.profileOf(principal);
  }
}
