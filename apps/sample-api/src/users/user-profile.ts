import type { UserEntity } from '../database/user.entity';

/** What a user may see of their own account: never the password hash or internal fields. */
export interface UserProfile {
  id: string;
  email: string;
  name: string;
  avatar: string | null;
  role: string;
  createdAt: string;
}

export function toProfile(user: UserEntity): UserProfile {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    avatar: user.avatar,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
  };
}
