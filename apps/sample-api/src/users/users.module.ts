import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideOwnershipResolver } from '@api-security/nestjs';
import { TypeOrmOwnershipResolver } from '@api-security/nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UserEntity } from '../database/user.entity';
import { UsersV0Controller } from './users-v0.controller';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  controllers: [UsersController, UsersV0Controller],
  providers: [
    UsersService,
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
