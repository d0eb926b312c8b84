import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { OrderEntity } from '../database/order.entity';

/** One line of an order, as `GET /api/v1/orders/:id` shows it. */
@ObjectType('OrderItem')
export class OrderItemModel {
  @Field() sku!: string;
  @Field(() => Int) quantity!: number;
}

/**
 * An order as GraphQL shows it: the fields of REST's `OrderView`, no more. It carries no visibility
 * rules, as over REST: whoever the resolver let reach the order (its owner, an admin) sees all of it.
 */
@ObjectType('Order')
export class OrderModel {
  @Field(() => ID) id!: string;
  @Field(() => [OrderItemModel]) items!: OrderItemModel[];
  @Field() status!: string;
  @Field() createdAt!: string;

  static from(order: OrderEntity): OrderModel {
    return Object.assign(new OrderModel(), {
      id: order.id,
      items: order.items.map(({ sku, quantity }) => ({ sku, quantity })),
      status: order.status,
      createdAt: order.createdAt.toISOString(),
    });
  }
}
