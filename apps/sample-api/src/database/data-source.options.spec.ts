import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { buildDataSourceOptions, DEFAULT_SQLITE_PATH, IN_MEMORY_SQLITE } from './data-source.options';
import { DATABASE_ENTITIES } from './entities';
import { DATABASE_MIGRATIONS } from './migrations';
import { fileSqljs, inMemorySqljs, postgresSchema } from './testing/isolated-database';
import { UserEntity } from './user.entity';
import { describeWithServices } from '../../../../test/support/services';

function expectMigratedNeverSynchronised(options: DataSourceOptions): void {
  expect(options.synchronize).toBe(false);
  expect(options.migrationsRun).toBe(true);
  // Classes, not glob strings: globs stop matching once the app runs compiled from dist.
  expect(options.entities).toEqual([...DATABASE_ENTITIES]);
  expect(options.migrations).toEqual([...DATABASE_MIGRATIONS]);
  for (const item of [...(options.entities as unknown[]), ...(options.migrations as unknown[])]) {
    expect(typeof item).toBe('function');
  }
}

describe('buildDataSourceOptions', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'sample-api-options-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps an in-memory sql.js database off the disk for :memory:', () => {
    const options = buildDataSourceOptions({ sqlitePath: IN_MEMORY_SQLITE });
    expect(options.type).toBe('sqljs');
    expect(options).not.toHaveProperty('location');
    expect(options).not.toHaveProperty('autoSave');
    expectMigratedNeverSynchronised(options);
  });

  it('saves a sql.js file automatically and creates its directory', () => {
    const sqlitePath = join(directory, 'a', 'b', 'app.sqlite');
    const options = buildDataSourceOptions({ sqlitePath });
    expect(options).toMatchObject({ type: 'sqljs', location: sqlitePath, autoSave: true });
    expect(statSync(join(directory, 'a', 'b')).isDirectory()).toBe(true);
    expect(existsSync(sqlitePath)).toBe(false);
    expectMigratedNeverSynchronised(options);
  });

  it(`defaults to ${DEFAULT_SQLITE_PATH} under the working directory when DATABASE_URL is unset`, () => {
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      const options = buildDataSourceOptions({});
      expect(options).toMatchObject({ type: 'sqljs', location: resolve(DEFAULT_SQLITE_PATH), autoSave: true });
      expect(statSync(join(directory, 'data')).isDirectory()).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('resolves a relative sqlitePath to an absolute location', () => {
    const options = buildDataSourceOptions({ sqlitePath: join(directory, 'x', '..', 'db.sqlite') });
    expect(options).toMatchObject({ location: join(directory, 'db.sqlite') });
  });

  it.each(['postgres://u:p@db:5432/app', 'postgresql://u@db/app'])('uses PostgreSQL for %p', (databaseUrl) => {
    const options = buildDataSourceOptions({
      databaseUrl,
      sqlitePath: join(directory, 'ignored.sqlite'),
      schema: 's1',
    });
    expect(options).toMatchObject({ type: 'postgres', url: databaseUrl, schema: 's1' });
    expect(existsSync(join(directory, 'ignored.sqlite'))).toBe(false);
    expectMigratedNeverSynchronised(options);
  });

  it('refuses a URL for another database instead of silently falling back to SQLite', () => {
    expect(() => buildDataSourceOptions({ databaseUrl: 'mysql://u:secret@db/app' })).toThrow(/postgres:\/\//);
    expect(() => buildDataSourceOptions({ databaseUrl: 'mysql://u:secret@db/app' })).not.toThrow(/secret/);
  });
});

describe('sql.js DataSource', () => {
  it('initialises in memory and migrates', async () => {
    const database = inMemorySqljs();
    try {
      const ds = await database.open();
      expect(ds.isInitialized).toBe(true);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await database.dispose();
    }
  });

  it('writes the file, loads it again after a restart and does not migrate twice', async () => {
    const database = fileSqljs();
    try {
      const first = await database.open();
      const location = (first.options as { location: string }).location;
      const users = first.getRepository(UserEntity);
      const user = await users.save(users.create({ email: 'persist@example.com', name: 'P', passwordHash: 'h' }));
      expect(existsSync(location)).toBe(true);
      await first.destroy();

      const second = await database.open();
      expect(await second.showMigrations()).toBe(false);
      expect(await second.getRepository(UserEntity).findOneByOrFail({ email: 'persist@example.com' })).toEqual(user);
    } finally {
      await database.dispose();
    }
  });
});

describeWithServices('PostgreSQL DataSource (DATABASE_URL)', ['postgres'], ({ postgres: databaseUrl }) => {
  describe('PostgreSQL DataSource', () => {
    it('initialises, migrates into its own schema only, and survives a restart', async () => {
      const database = await postgresSchema(databaseUrl);
      try {
        const first = await database.open();
        const schema = (first.options as { schema: string }).schema;
        const rows: { table_name: string }[] = await first.query(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
          [schema],
        );
        expect(rows.map((row) => row.table_name)).toEqual([
          'api_keys',
          'migrations',
          'orders',
          'security_events',
          'users',
        ]);
        const users = first.getRepository(UserEntity);
        const user = await users.save(users.create({ email: 'persist@example.com', name: 'P', passwordHash: 'h' }));
        await first.destroy();

        const second = await database.open();
        expect(await second.showMigrations()).toBe(false);
        expect(await second.getRepository(UserEntity).findOneByOrFail({ id: user.id })).toEqual(user);
      } finally {
        await database.dispose();
      }
    });

    it('drops its schema when disposed, leaving the shared database clean', async () => {
      const database = await postgresSchema(databaseUrl);
      const ds = await database.open();
      const schema = (ds.options as { schema: string }).schema;
      await database.dispose();

      const probe = await postgresSchema(databaseUrl);
      try {
        const inspector = await probe.open();
        const rows: unknown[] = await inspector.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        expect(rows).toEqual([]);
      } finally {
        await probe.dispose();
      }
    });
  });
});
