/**
 * The one resource every benchmark target serves: an order owned by the benchmark user. The class
 * carries both rule sets: `@VisibleTo`/`@Hidden` for the library, `@Expose` groups for
 * class-transformer (`@Hidden` adds class-transformer's `@Exclude` itself).
 */
import { Expose } from 'class-transformer';
import { Hidden, VisibleTo } from '@api-security/nestjs';

const USERS = ['user', 'admin'];

export class BenchOrder {
  @VisibleTo('authenticated') @Expose({ groups: USERS }) id!: string;
  @VisibleTo('authenticated') @Expose({ groups: USERS }) sku!: string;
  @VisibleTo('authenticated') @Expose({ groups: USERS }) quantity!: number;
  @VisibleTo('authenticated') @Expose({ groups: USERS }) total!: number;
  @VisibleTo('authenticated') @Expose({ groups: USERS }) status!: string;
  @VisibleTo('admin') @Expose({ groups: ['admin'] }) internalNotes!: string;
  @VisibleTo('admin') @Expose({ groups: ['admin'] }) ownerId!: string;
  @Hidden() costPrice!: number;
}

export const BENCH_USER = 'bench-user';
export const OTHER_USER = 'other-user';
export const ORDER_ID = 'o-1';

export const ORDERS = new Map<string, BenchOrder>(
  [
    [ORDER_ID, BENCH_USER],
    ['o-2', OTHER_USER],
  ].map(([id, ownerId]) => [
    id as string,
    Object.assign(new BenchOrder(), {
      id,
      sku: 'SKU-123',
      quantity: 2,
      total: 84,
      status: 'paid',
      internalNotes: 'ships from warehouse 3',
      ownerId,
      costPrice: 31.5,
    }),
  ]),
);

/** The same order with every field public: prices the projection alone, on a route with no principal. */
export class PublicOrder {
  @VisibleTo('public') id!: string;
  @VisibleTo('public') sku!: string;
  @VisibleTo('public') quantity!: number;
  @VisibleTo('public') total!: number;
  @VisibleTo('public') status!: string;
  @Hidden() costPrice!: number;
}

export const PUBLIC_ORDER = Object.assign(new PublicOrder(), {
  id: ORDER_ID,
  sku: 'SKU-123',
  quantity: 2,
  total: 84,
  status: 'paid',
  costPrice: 31.5,
});

/** What a user is sent: the same fields the projection and the serializer produce. */
export function userView(order: BenchOrder): Record<string, unknown> {
  return { id: order.id, sku: order.sku, quantity: order.quantity, total: order.total, status: order.status };
}

/** HS256 secret shared by the full and the usual stacks, so both verify the same kind of token. */
export const BENCH_SECRET = 'benchmark-secret-that-is-long-enough-0123456789';
