import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { OrderEntity } from '../database/order.entity';

export interface CheckoutView {
  orderId: string;
  status: 'confirmed';
  checkedOutAt: string;
}

@Injectable()
export class CheckoutService {
  constructor(@InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>) {}

  /**
   * Marks a pending order paid. Ownership, velocity and the challenge were checked by the route's
   * decorators; this only makes sure one order is checked out once, even under concurrency (the
   * update is conditional). An order already paid answers 409, which also gives the flow's slot back.
   */
  async checkout(orderId: string): Promise<CheckoutView> {
    const result = await this.orders.update({ id: orderId, status: 'pending' }, { status: 'paid' });
    if (result.affected !== 1) throw new ConflictException('This order is already checked out.');
    return { orderId, status: 'confirmed', checkedOutAt: new Date().toISOString() };
  }
}
