import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { DATABASE_ENTITIES } from './entities';
import { DATABASE_MIGRATIONS } from './migrations';

/** Where the embedded database lives when DATABASE_URL is unset, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = './data/sample-api.sqlite';
/** `sqlitePath` value for a throw-away database that is never written to disk (tests). */
export const IN_MEMORY_SQLITE = ':memory:';

export interface DatabaseLocation {
  /** `postgres://…` or `postgresql://…`; unset = embedded SQLite through sql.js. */
  readonly databaseUrl?: string;
  /** SQLite file, or {@link IN_MEMORY_SQLITE}. Ignored for PostgreSQL. Default {@link DEFAULT_SQLITE_PATH}. */
  readonly sqlitePath?: string;
  /** PostgreSQL schema for every table, including the migrations table. Default: the server's search_path. */
  readonly schema?: string;
}

/**
 * TypeORM options for the app: PostgreSQL when a URL is given, else embedded SQLite (sql.js, pure
 * JavaScript, so `npm install` needs no native build). The schema only ever changes through migrations,
 * which run at start; `synchronize` would alter tables from entity metadata and can drop data.
 */
export function buildDataSourceOptions(location: DatabaseLocation): DataSourceOptions {
  const common = {
    entities: [...DATABASE_ENTITIES],
    migrations: [...DATABASE_MIGRATIONS],
    synchronize: false,
    migrationsRun: true,
  };

  const { databaseUrl } = location;
  if (databaseUrl !== undefined) {
    // Refuse rather than fall back to SQLite: silently ignoring a configured database would lose data.
    if (!/^postgres(ql)?:\/\//i.test(databaseUrl)) throw new Error('DATABASE_URL must start with postgres://');
    return {
      ...common,
      type: 'postgres',
      url: databaseUrl,
      schema: location.schema,
      applicationName: 'sample-api',
      // Fail the boot (or the health check) instead of hanging on an unreachable server.
      connectTimeoutMS: 10_000,
    };
  }

  const sqlitePath = location.sqlitePath ?? DEFAULT_SQLITE_PATH;
  if (sqlitePath === IN_MEMORY_SQLITE) return { ...common, type: 'sqljs' };

  const file = resolve(sqlitePath);
  mkdirSync(dirname(file), { recursive: true });
  // With `location` set, sql.js loads the file when it exists and starts empty otherwise; `autoSave` writes
  // the whole database back after every change outside a transaction.
  return { ...common, type: 'sqljs', location: file, autoSave: true };
}
