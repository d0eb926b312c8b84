import { randomUUID } from 'node:crypto';
import { BeforeInsert, BeforeUpdate, Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMsTransformer, lowercaseTransformer } from './column-transformers';

export const USER_ROLES = ['user', 'manager', 'admin'] as const;
/** `admin` includes everything `manager` may do, and `manager` everything `user` may do. */
export type UserRole = (typeof USER_ROLES)[number];

/**
 * An account. Create instances with `repository.create(...)` (or `new`) before saving: the id and
 * timestamps are set by the listeners below, which TypeORM only runs on entity instances, not plain objects.
 */
@Entity({ name: 'users' })
@Check('CHK_users_role', `"role" IN ('user', 'manager', 'admin')`)
export class UserEntity {
  /** Random UUID v4 generated in code, so it is unguessable and identical on every driver. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('IDX_users_email', { unique: true })
  @Column({ type: 'varchar', length: 254, transformer: lowercaseTransformer })
  email!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  avatar!: string | null;

  /** Encoded hash (e.g. argon2id PHC string). Never serialise this entity straight into a response. */
  @Column({ type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: UserRole;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  /** Admin-only notes. */
  @Column({ type: 'text', nullable: true })
  internalNotes!: string | null;

  /** Access and refresh tokens issued before this instant are rejected (logout everywhere, deactivation). */
  @Column({ type: 'bigint', nullable: true, transformer: epochMsTransformer })
  tokensValidAfter!: Date | null;

  @Column({ type: 'bigint', transformer: epochMsTransformer })
  createdAt!: Date;

  /** Maintained on `save()`; `repository.update()` bypasses listeners and must set it itself. */
  @Column({ type: 'bigint', transformer: epochMsTransformer })
  updatedAt!: Date;

  @BeforeInsert()
  protected beforeInsert(): void {
    this.id ??= randomUUID();
    this.createdAt ??= new Date();
    this.updatedAt ??= this.createdAt;
  }

  @BeforeUpdate()
  protected beforeUpdate(): void {
    this.updatedAt = new Date();
  }
}
