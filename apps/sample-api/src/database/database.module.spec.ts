import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { APP_CONFIG, loadConfig } from '../config/app-config';
import { DatabaseHealthService } from './database-health.service';
import { DatabaseModule } from './database.module';
import { DATABASE_ENTITIES } from './entities';
import { UserEntity } from './user.entity';

/** Stands in for AppConfigModule with an in-memory database, so the test writes no file. */
@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useValue: loadConfig({ SQLITE_PATH: ':memory:' }) }],
  exports: [APP_CONFIG],
})
class InMemoryConfigModule {}

describe('DatabaseModule', () => {
  it('connects with the configured database, migrates, and exports repositories and the health check', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [InMemoryConfigModule, DatabaseModule] }).compile();
    await moduleRef.init();
    try {
      for (const entity of DATABASE_ENTITIES) expect(moduleRef.get(getRepositoryToken(entity))).toBeDefined();
      const users = moduleRef.get<Repository<UserEntity>>(getRepositoryToken(UserEntity));
      await users.save(users.create({ email: 'module@example.com', name: 'M', passwordHash: 'h' }));
      expect(await users.countBy({ email: 'module@example.com' })).toBe(1);
      expect(await moduleRef.get(DatabaseHealthService).isUp()).toBe(true);
    } finally {
      await moduleRef.close();
    }
  });
});
