import { Injectable } from '@nestjs/common';
import type { StoredUser, UserStore } from '@api-security/nestjs';
import { UsersService } from '../users/users.service';

/**
 * The accounts the library's token endpoints log in, refresh and log out. Lookups go through
 * UsersService, so login finds an email the way registration stored it (normalizeIdentityEmail: NFKC, trimmed, lower-cased).
 * The entity is returned as is: the library reads only id, passwordHash, isActive and role.
 */
@Injectable()
export class AppUserStore implements UserStore {
  constructor(private readonly users: UsersService) {}

  findByEmail(email: string): Promise<StoredUser | null> {
    return this.users.findByEmail(email);
  }

  findById(id: string): Promise<StoredUser | null> {
    return this.users.findById(id);
  }
}
