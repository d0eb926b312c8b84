import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Owns, Roles, type SecurityPrincipal } from '@api-security/nestjs';
import { OrdersService } from '../orders/orders.service';
import { UsersService } from '../users/users.service';
import { AdminReportModel } from './admin-report.model';
import { pageSize } from './graphql-page';
import { OrderModel } from './order.model';

/** The orders of `/api/graphql`, under the same rules as `/api/v1/orders` and `/api/v1/admin/reports`. */
@Resolver(() => OrderModel)
export class OrdersResolver {
  constructor(
    private readonly orders: OrdersService,
    private readonly users: UsersService,
  ) {}

  /** `GET /api/v1/orders/:id`: the owner or an admin; anyone else gets `ERR_NOT_FOUND`, as for a missing id. */
  @Query(() => OrderModel, { nullable: true })
  @Owns('order', { arg: 'id' })
  async order(@Args('id', { type: () => ID }) id: string): Promise<OrderModel> {
    return OrderModel.from(await this.orders.get(id));
  }

  /** `GET /api/v1/orders`: the caller's own orders, newest first, for everyone (admins included). */
  @Query(() => [OrderModel])
  async myOrders(
    @CurrentPrincipal() principal: SecurityPrincipal,
    @Args('first', { type: () => Int, defaultValue: 20 }) first: number,
  ): Promise<OrderModel[]> {
    const [orders] = await this.orders.listOwn(principal, pageSize(first), 0);
    return orders.map((order) => OrderModel.from(order));
  }

  /** `GET /api/v1/admin/reports`: admins only. */
  @Query(() => AdminReportModel, { nullable: true })
  @Roles('admin')
  async adminReport(): Promise<AdminReportModel> {
    const [users, orders] = await Promise.all([this.users.count(), this.orders.count()]);
    return { users, orders, generatedAt: new Date().toISOString() };
  }
}
