import { Injectable } from '@nestjs/common';
import type { PrincipalCheck } from '@api-security/nestjs';
import { UsersService } from './users.service';

/**
 * The library's PrincipalCheck for this app: the subject of a token or API key must be an existing,
 * active account. A token of a deleted user then gets 401 instead of reaching `GET /users/me` (which
 * would answer 404), however the row went away. One primary-key lookup per subject every
 * `principalCheckCacheSeconds`.
 */
@Injectable()
export class ActiveUserCheck implements PrincipalCheck {
  constructor(private readonly users: UsersService) {}

  async isActive(subjectId: string): Promise<boolean> {
    const user = await this.users.findById(subjectId);
    return user !== null && user.id === subjectId && user.isActive === true;
  }
}
