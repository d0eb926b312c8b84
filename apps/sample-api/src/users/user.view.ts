import { Hidden, OwnedBy, VisibleTo } from '@api-security/nestjs';
import type { UserEntity } from '../database/user.entity';
import { toProfile } from './user-profile';

/**
 * A user as others may see it. The owner and managers (admins included) see the profile; only
 * admins see account state and internal notes. The password hash is not even a property here.
 */
@OwnedBy('id')
export class UserView {
  @VisibleTo('owner', 'manager') id!: string;
  @VisibleTo('owner', 'manager') email!: string;
  @VisibleTo('owner', 'manager') name!: string;
  @VisibleTo('owner', 'manager') avatar!: string | null;
  @VisibleTo('owner', 'manager') role!: string;
  @VisibleTo('owner', 'manager') createdAt!: string;
  @VisibleTo('admin') isActive!: boolean;
  @VisibleTo('admin') internalNotes!: string | null;
  /** Kept off the wire even if someone copies the entity in wholesale. */
  @Hidden() passwordHash?: never;

  static from(user: UserEntity): UserView {
    return Object.assign(new UserView(), toProfile(user), {
      isActive: user.isActive,
      internalNotes: user.internalNotes,
    });
  }
}
