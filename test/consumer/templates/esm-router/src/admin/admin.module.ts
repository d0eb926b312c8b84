import { Module } from '@nestjs/common';
import { AdminThingsController } from './admin-things.controller.js';

@Module({ controllers: [AdminThingsController] })
export class AdminModule {}
