import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideFlowPolicy } from '@api-security/nestjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { OrderEntity } from '../database/order.entity';
import { CHECKOUT_FLOW, CheckoutController } from './checkout.controller';
import { CheckoutService } from './checkout.service';

@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity])],
  controllers: [CheckoutController],
  providers: [
    CheckoutService,
    // CHECKOUT_MAX_PER_HOUR and CHECKOUT_POW_DIFFICULTY replace the decorator's defaults at boot.
    provideFlowPolicy(CHECKOUT_FLOW, {
      useFactory: (config: AppConfig) => ({
        perPrincipal: `${config.checkout.maxPerHour}/3600s`,
        challenge: { difficulty: config.checkout.powDifficulty },
      }),
      inject: [APP_CONFIG],
    }),
  ],
})
export class CheckoutModule {}
