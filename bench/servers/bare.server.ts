/** Baseline: the same handler in a plain Nest app, with no security at all. */
import 'reflect-metadata';
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { ORDERS, userView } from './bench-data';
import { serve } from './serve';

@Controller('bench')
class BareController {
  @Get('orders/:id')
  get(@Param('id') id: string): Record<string, unknown> {
    const order = ORDERS.get(id);
    if (!order) throw new NotFoundException();
    return userView(order);
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

void serve(BareModule);
