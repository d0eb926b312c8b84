import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type SecurityPrincipal } from '@api-security/nestjs';
import { scopeToOwner } from '@api-security/nestjs/typeorm';
import { Repository } from 'typeorm';
import { OrderEntity } from '../database/order.entity';
import type { CreateOrderDto } from './create-order.dto';

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>) {}

  create(principal: SecurityPrincipal, input: CreateOrderDto): Promise<OrderEntity> {
    const items = input.items.map(({ sku, quantity }) => ({ sku, quantity }));
    return this.orders.save(this.orders.create({ userId: principal.id, items, status: 'pending' }));
  }

  /** The caller's own orders, for everyone (admins included): the scope comes from the library. */
  listOwn(principal: SecurityPrincipal, take: number, skip: number): Promise<[OrderEntity[], number]> {
    return this.orders.findAndCount({
      where: scopeToOwner<OrderEntity>(principal, { ownerColumn: 'userId', bypassRoles: [] }),
      order: { createdAt: 'DESC', id: 'ASC' },
      take,
      skip,
    });
  }

  /** One user's newest orders (GraphQL's `User.orders`); ownership of the user was decided by the resolver's `@Owns`. */
  listOf(userId: string, take: number): Promise<OrderEntity[]> {
    return this.orders.find({ where: { userId }, order: { createdAt: 'DESC', id: 'ASC' }, take });
  }

  /** Ownership was decided by the route's `@Owns`; this only loads. */
  async get(id: string): Promise<OrderEntity> {
    const order = await this.orders.findOneBy({ id });
    if (!order) throw new NotFoundException();
    return order;
  }

  count(): Promise<number> {
    return this.orders.count();
  }
}
