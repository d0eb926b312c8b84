import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { UsersModule } from '../users/users.module';
import { ReportsController } from './reports.controller';

@Module({ imports: [UsersModule, OrdersModule], controllers: [ReportsController] })
export class AdminModule {}
