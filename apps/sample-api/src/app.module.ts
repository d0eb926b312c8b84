import { Module } from '@nestjs/common';
import { ApiKeyAuthenticator, ApiSecurityModule, JwtAuthenticator } from '@api-security/nestjs';
import { AdminModule } from './admin/admin.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { CheckoutModule } from './checkout/checkout.module';
import { AuthModule } from './auth/auth.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DocsModule } from './docs/docs.module';
import { GraphqlApiModule } from './graphql/graphql-api.module';
import { HealthController } from './health/health.controller';
import { InventoryController } from './inventory/inventory.controller';
import { JwksController } from './jwks/jwks.controller';
import { OrdersModule } from './orders/orders.module';
import { PreviewsModule } from './previews/previews.module';
import { SecurityEventsModule } from './security-events/security-events.module';
import { securityOptionsFrom } from './security/security-options.factory';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    AppConfigModule,
    DatabaseModule,
    ApiSecurityModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => securityOptionsFrom(config),
      authenticators: [JwtAuthenticator, ApiKeyAuthenticator],
    }),
    SecurityEventsModule,
    DocsModule,
    UsersModule,
    AuthModule,
    ApiKeysModule,
    OrdersModule,
    CheckoutModule,
    PreviewsModule,
    AdminModule,
    GraphqlApiModule,
  ],
  controllers: [HealthController, JwksController, InventoryController],
})
export class AppModule {}
