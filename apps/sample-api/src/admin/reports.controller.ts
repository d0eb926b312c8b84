import { Controller, Get } from '@nestjs/common';
import { Roles } from '@api-security/nestjs';
import { OrdersService } from '../orders/orders.service';
import { UsersService } from '../users/users.service';

@Controller({ path: 'admin/reports', version: '1' })
export class ReportsController {
  constructor(
    private readonly users: UsersService,
    private readonly orders: OrdersService,
  ) {}

  @Get()
  @Roles('admin')
  async summary(): Promise<{ users: number; orders: number; generatedAt: string }> {
    const [users, orders] = await Promise.all([this.users.count(), this.orders.count()]);
    return { users, orders, generatedAt: new Date().toISOString() };
  }
}
