import { Module } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { ApiSecurityModule } from '@api-security/nestjs';
import { AdminModule } from './admin/admin.module.js';
import { ShopModule } from './shop/shop.module.js';

// Two modules that each declare @Controller('things'), told apart by their RouterModule paths.
@Module({
  imports: [
    ApiSecurityModule.forRoot({
      jwt: {
        algorithm: 'HS256',
        secret: process.env.JWT_SECRET!,
        issuer: 'https://auth.example.com',
        audience: 'https://api.example.com',
      },
      audit: { mode: 'strict' }, // the default, spelt out: a shadowed route would stop the boot
      hardening: { documentationPaths: ['/api/docs'] }, // Swagger UI, mounted in main.ts
    }),
    AdminModule,
    ShopModule,
    RouterModule.register([
      { path: 'admin', module: AdminModule },
      { path: 'shop', module: ShopModule },
    ]),
  ],
})
export class AppModule {}
