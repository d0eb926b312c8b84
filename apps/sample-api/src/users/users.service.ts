import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  normalizeIdentityEmail,
  PasswordService,
  RevocationService,
  type SecurityPrincipal,
} from '@api-security/nestjs';
import { Not, Repository } from 'typeorm';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UserEntity, type UserRole } from '../database/user.entity';
import type { UpdateUserDto } from './update-user.dto';
import { toProfile, type UserProfile } from './user-profile';

export interface NewUser {
  email: string;
  password: string;
  name: string;
  role?: UserRole;
}

/** Accounts: creation with a hashed password, lookups, and the seeded admin. */
@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger('UsersService');

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly passwords: PasswordService,
    private readonly revocation: RevocationService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async create(input: NewUser): Promise<UserEntity> {
    this.passwords.assertPolicy(input.password);
    const email = normalizeIdentityEmail(input.email);
    if (await this.users.existsBy({ email })) throw new ConflictException('This email is already registered.');
    const user = this.users.create({
      email,
      name: input.name.trim(),
      passwordHash: await this.passwords.hash(input.password),
      role: input.role ?? 'user',
      avatar: null,
      internalNotes: null,
      tokensValidAfter: null,
      isActive: true,
    });
    try {
      return await this.users.save(user);
    } catch (error) {
      // Two registrations racing for one email: the unique index decides, the loser gets the same 409.
      if (await this.users.existsBy({ email })) throw new ConflictException('This email is already registered.');
      throw error;
    }
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    // The form registration stored: a fullwidth or upper-case spelling finds the same account.
    return this.users.findOneBy({ email: normalizeIdentityEmail(email) });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  /** The caller's own profile (`GET /users/me`, every version); 404 if the account is gone. */
  async profileOf(principal: SecurityPrincipal): Promise<UserProfile> {
    const user = await this.findById(principal.id);
    if (!user) throw new NotFoundException();
    return toProfile(user);
  }

  async list(take: number, skip: number): Promise<{ users: UserEntity[]; total: number }> {
    const [users, total] = await this.users.findAndCount({ order: { createdAt: 'ASC', id: 'ASC' }, take, skip });
    return { users, total };
  }

  /**
   * Applies a change the route's policies already allowed. Deactivation and role changes end every
   * session of the user at once: a stolen token must not outlive the decision. Deactivation also
   * revokes every API key of the user for good: reactivating the account does not revive them (the
   * user creates new keys), so a key leaked before the deactivation stays dead.
   *
   * Only the fields given are written, each in a conditional UPDATE, never a read-modify-write of the
   * whole row: a concurrent edit of other fields cannot write back a stale `isActive` or `role` (and
   * so undo a deactivation), and whether the role really changed is decided by the UPDATE itself.
   */
  async update(id: string, changes: UpdateUserDto): Promise<UserEntity> {
    if (!(await this.users.existsBy({ id }))) throw new NotFoundException();
    const updatedAt = new Date();
    let endsSessions = changes.isActive === false;
    if (changes.role !== undefined) {
      const changed = await this.users.update({ id, role: Not(changes.role) }, { role: changes.role, updatedAt });
      if (changed.affected) endsSessions = true;
    }
    const fields: Partial<Pick<UserEntity, 'name' | 'avatar' | 'isActive' | 'internalNotes'>> = {};
    if (changes.name !== undefined) fields.name = changes.name.trim();
    if (changes.avatar !== undefined) fields.avatar = changes.avatar;
    if (changes.isActive !== undefined) fields.isActive = changes.isActive;
    if (changes.internalNotes !== undefined) fields.internalNotes = changes.internalNotes;
    // `update()` bypasses the entity listeners, so updatedAt is set here.
    if (Object.keys(fields).length > 0) await this.users.update({ id }, { ...fields, updatedAt });
    if (endsSessions) await this.revocation.revokeAllForUser(id);
    // After `isActive` is written: a key created concurrently then sees the owner inactive (ApiKeysService.create).
    if (changes.isActive === false) await this.apiKeys.revokeAllOf(id);
    const saved = await this.findById(id);
    if (!saved) throw new NotFoundException();
    return saved;
  }

  /**
   * Deletes the account; its API keys go with it (ON DELETE CASCADE) and its tokens are revoked.
   * ActiveUserCheck refuses any credential of the deleted subject even where revocation did not reach.
   */
  async remove(id: string): Promise<void> {
    const result = await this.users.delete({ id });
    if (!result.affected) throw new NotFoundException();
    await this.revocation.revokeAllForUser(id);
  }

  count(): Promise<number> {
    return this.users.count();
  }

  async onApplicationBootstrap(): Promise<void> {
    const seed = this.config.seedAdmin;
    if (!seed || (await this.findByEmail(seed.email))) return;
    await this.create({ email: seed.email, password: seed.password, name: 'Administrator', role: 'admin' });
    this.logger.log('Seeded the admin account from SEED_ADMIN_EMAIL.');
  }
}
