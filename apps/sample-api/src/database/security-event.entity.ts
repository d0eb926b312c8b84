import { randomUUID } from 'node:crypto';
import { BeforeInsert, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMsTransformer } from './column-transformers';

/**
 * An audit record of a security-relevant event (login failure, lockout, denied access, token reuse, blocked
 * preview, …). Deliberately no foreign key to users: the trail must outlive the account it is about.
 * Never put secrets (passwords, tokens, keys) in any column. Create with `repository.create(...)`.
 */
@Entity({ name: 'security_events' })
export class SecurityEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  /** Indexed: the admin view lists newest first. */
  @Index('IDX_security_events_occurredAt')
  @Column({ type: 'bigint', transformer: epochMsTransformer })
  occurredAt!: Date;

  @Column({ type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** User id or API key id of the caller, when known. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  principalId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  route!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  reason!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  details!: Record<string, unknown> | null;

  @BeforeInsert()
  protected beforeInsert(): void {
    this.id ??= randomUUID();
    this.occurredAt ??= new Date();
  }
}
