import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PasswordService } from '@api-security/nestjs';

/** An account as the app stores it: only the password's argon2id hash, never the password. */
export interface User {
  id: string;
  email: string;
  role: 'user' | 'admin';
  passwordHash: string;
}

/** Demo accounts: two ordinary users, A and B, so every ownership rule can be tried both ways. */
export const DEMO_ACCOUNTS = [
  { id: 'user-a', email: 'a@example.com', role: 'user', password: 'password-of-user-a' },
  { id: 'user-b', email: 'b@example.com', role: 'user', password: 'password-of-user-b' },
] as const;

/** Users in memory; a real app keeps them in its database. */
@Injectable()
export class UsersService implements OnModuleInit {
  private readonly users = new Map<string, User>();

  constructor(private readonly passwords: PasswordService) {}

  async onModuleInit(): Promise<void> {
    for (const { password, ...account } of DEMO_ACCOUNTS) {
      this.users.set(account.email, { ...account, passwordHash: await this.passwords.hash(password) });
    }
  }

  findByEmail(email: string): User | undefined {
    return this.users.get(email);
  }
}
