import { randomUUID } from 'node:crypto';
import { BeforeInsert, Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMsTransformer } from './column-transformers';
import { UserEntity } from './user.entity';

/** Active API keys one user may hold; the database enforces it through {@link ApiKeyEntity.activeSlot}. */
export const API_KEY_SLOTS = 25;

/**
 * An API key. Only `prefix` (to find the row) and the SHA-256 of the whole key are stored; the key itself
 * is shown once at creation. Deleted with its user. Create with `repository.create(...)` (see UserEntity).
 */
@Entity({ name: 'api_keys' })
@Check('CHK_api_keys_activeSlot', `"activeSlot" BETWEEN 1 AND ${API_KEY_SLOTS}`)
@Index('IDX_api_keys_userId_activeSlot', ['userId', 'activeSlot'], { unique: true })
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('IDX_api_keys_userId')
  @Column({ type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'userId', foreignKeyConstraintName: 'FK_api_keys_userId' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** Public, unique start of the key (e.g. `sk_live_ab12cd34`), used to look the key up before hashing. */
  @Index('IDX_api_keys_prefix', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  prefix!: string;

  /** Lowercase hex SHA-256 of the full key. */
  @Column({ type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ type: 'simple-json' })
  scopes!: string[];

  @Column({ type: 'bigint', nullable: true, transformer: epochMsTransformer })
  lastUsedAt!: Date | null;

  /** Set instead of deleting when a key must stop working but stay visible in audits. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMsTransformer })
  revokedAt!: Date | null;

  @Column({ type: 'bigint', transformer: epochMsTransformer })
  createdAt!: Date;

  /**
   * Which of its owner's {@link API_KEY_SLOTS} slots an active key occupies; null once revoked. One key per
   * slot (unique with `userId`) and slots 1 to API_KEY_SLOTS only (check): the cap on active keys holds in
   * the database itself, however many creations race, on any number of instances.
   */
  @Column({ type: 'integer', nullable: true })
  activeSlot!: number | null;

  @BeforeInsert()
  protected beforeInsert(): void {
    this.id ??= randomUUID();
    this.createdAt ??= new Date();
  }
}
