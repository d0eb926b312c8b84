import { Module } from '@nestjs/common';
import { TokenEndpointsModule } from '@api-security/nestjs';
import { UsersModule } from '../users/users.module';
import { AppUserStore } from './app-user.store';
import { AuthController } from './auth.controller';

/**
 * `POST /api/v1/auth/register` is the app's own; login, refresh and logout are the library's token
 * endpoints on the same path and version. Lockout and token lifetimes come from the security options.
 */
@Module({
  imports: [
    UsersModule,
    TokenEndpointsModule.forRoot({ imports: [UsersModule], userStore: AppUserStore, path: 'auth', version: '1' }),
  ],
  controllers: [AuthController],
})
export class AuthModule {}
