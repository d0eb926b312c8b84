import { Module } from '@nestjs/common';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source.options';
import { DatabaseHealthService } from './database-health.service';
import { DATABASE_ENTITIES } from './entities';

/**
 * Connects to the configured database and migrates it before the app listens. Exports a repository for
 * every entity (`@InjectRepository(UserEntity)`) and {@link DatabaseHealthService}. Needs AppConfigModule.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): TypeOrmModuleOptions => ({
        ...buildDataSourceOptions({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath }),
        // Nest retries 10 times by default; a failed migration or a wrong URL will not fix itself.
        retryAttempts: 3,
      }),
    }),
    TypeOrmModule.forFeature([...DATABASE_ENTITIES]),
  ],
  providers: [DatabaseHealthService],
  exports: [TypeOrmModule, DatabaseHealthService],
})
export class DatabaseModule {}
