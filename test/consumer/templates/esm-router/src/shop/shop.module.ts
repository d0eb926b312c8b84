import { Module } from '@nestjs/common';
import { ShopThingsController } from './shop-things.controller.js';

@Module({ controllers: [ShopThingsController] })
export class ShopModule {}
