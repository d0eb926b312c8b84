import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PRINCIPAL_CHECK, provideOwnershipResolver } from '@api-security/nestjs';
import { TypeOrmOwnershipResolver } from '@api-security/nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { UserEntity } from '../database/user.entity';
import { ActiveUserCheck } from './active-user.check';
import { UsersV0Controller } from './users-v0.controller';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity]), ApiKeysModule],
  controllers: [UsersController, UsersV0Controller],
  providers: [
    UsersService,
    // Every authenticated request's subject must still exist and be active (looked up container-wide).
    { provide: PRINCIPAL_CHECK, useClass: ActiveUserCheck },
    // A user "owns" exactly their own row: one indexed lookup on the primary key.
    provideOwnershipResolver('user', {
      useFactory: (dataSource: DataSource) =>
        new TypeOrmOwnershipResolver({ dataSource, entity: UserEntity, idColumn: 'id', ownerColumn: 'id' }),
      inject: [DataSource],
    }),
  ],
  exports: [UsersService],
})
export class UsersModule {}
