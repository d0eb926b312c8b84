import type { OrderEntity, OrderItem, OrderStatus } from '../database/order.entity';

export interface OrderView {
  id: string;
  items: OrderItem[];
  status: OrderStatus;
  createdAt: string;
}

export function toOrderView(order: OrderEntity): OrderView {
  return {
    id: order.id,
    items: order.items.map(({ sku, quantity }) => ({ sku, quantity })),
    status: order.status,
    createdAt: order.createdAt.toISOString(),
  };
}
