import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Owns, type SecurityPrincipal } from '@api-security/nestjs';
import { ApiPagination } from '@api-security/nestjs/swagger';
import { ApiIdParam } from '../docs/api-id-param.decorator';
import { CreateOrderDto } from './create-order.dto';
import { toOrderView, type OrderView } from './order-view';
import { OrdersPage } from './orders-page.query';
import { OrdersService } from './orders.service';

@Controller({ path: 'orders', version: '1' })
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  async create(@CurrentPrincipal() principal: SecurityPrincipal, @Body() body: CreateOrderDto): Promise<OrderView> {
    return toOrderView(await this.orders.create(principal, body));
  }

  @Get()
  @ApiPagination()
  async list(
    @CurrentPrincipal() principal: SecurityPrincipal,
    @Query() page: OrdersPage,
  ): Promise<{ items: OrderView[]; total: number; limit: number; offset: number }> {
    const [orders, total] = await this.orders.listOwn(principal, page.limit, page.offset);
    return { items: orders.map(toOrderView), total, limit: page.limit, offset: page.offset };
  }

  @Get(':id')
  @ApiIdParam()
  @Owns('order')
  async get(@Param('id') id: string): Promise<OrderView> {
    return toOrderView(await this.orders.get(id));
  }
}
