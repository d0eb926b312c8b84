import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { API_KEY_RESOLVER } from '@api-security/nestjs';
import { ApiKeyEntity } from '../database/api-key.entity';
import { UserEntity } from '../database/user.entity';
import { ApiKeyManagementGuard } from './api-key-management.guard';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { TypeOrmApiKeyResolver } from './typeorm-api-key.resolver';

/**
 * The `api-keys` routes and the resolver the library's ApiKeyAuthenticator finds keys with (looked
 * up container-wide at boot, so it needs no export). Needs a TypeORM connection and ApiSecurityModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity, UserEntity])],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeyManagementGuard, { provide: API_KEY_RESOLVER, useClass: TypeOrmApiKeyResolver }],
  // Deactivating a user (UsersService) revokes their keys.
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
