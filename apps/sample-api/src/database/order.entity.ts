import { randomUUID } from 'node:crypto';
import { BeforeInsert, Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMsTransformer } from './column-transformers';
import { UserEntity } from './user.entity';

export const ORDER_STATUSES = ['pending', 'paid'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** One line of an order. */
export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
}

/** An order owned by one user; deleted with that user. Create with `repository.create(...)` (see UserEntity). */
@Entity({ name: 'orders' })
@Check('CHK_orders_status', `"status" IN ('pending', 'paid')`)
export class OrderEntity {
  /** Random UUID v4: order ids appear in URLs and must not be guessable. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('IDX_orders_userId')
  @Column({ type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'userId', foreignKeyConstraintName: 'FK_orders_userId' })
  user?: UserEntity;

  /** Stored as JSON text so it works the same on SQLite and PostgreSQL. */
  @Column({ type: 'simple-json' })
  items!: OrderItem[];

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: OrderStatus;

  @Column({ type: 'bigint', transformer: epochMsTransformer })
  createdAt!: Date;

  @BeforeInsert()
  protected beforeInsert(): void {
    this.id ??= randomUUID();
    this.createdAt ??= new Date();
  }
}
