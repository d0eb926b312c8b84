import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideOwnershipResolver } from '@api-security/nestjs';
import { TypeOrmOwnershipResolver } from '@api-security/nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OrderEntity } from '../database/order.entity';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity])],
  controllers: [OrdersController],
  providers: [
    OrdersService,
    provideOwnershipResolver('order', {
      useFactory: (dataSource: DataSource) =>
        new TypeOrmOwnershipResolver({ dataSource, entity: OrderEntity, ownerColumn: 'userId' }),
      inject: [DataSource],
    }),
  ],
  exports: [OrdersService],
})
export class OrdersModule {}
