import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, type DatabaseLocation, IN_MEMORY_SQLITE } from '../data-source.options';

/**
 * A database that no other test, worker or run touches. Test-only: never import from app code.
 */
export interface IsolatedDatabase {
  readonly label: string;
  /** False for in-memory sql.js: every `open()` there starts from an empty database. */
  readonly persistent: boolean;
  /** Opens a new DataSource on this database; `migrationsRun` migrates it during initialisation. */
  open(): Promise<DataSource>;
  /** Destroys every DataSource opened here and removes the database, leaving nothing behind. */
  dispose(): Promise<void>;
}

function tracked(location: DatabaseLocation, cleanUp: () => Promise<void>) {
  const opened: DataSource[] = [];
  return {
    async open(): Promise<DataSource> {
      const dataSource = new DataSource(buildDataSourceOptions(location));
      opened.push(dataSource);
      return dataSource.initialize();
    },
    async dispose(): Promise<void> {
      await Promise.all(opened.filter((ds) => ds.isInitialized).map((ds) => ds.destroy()));
      await cleanUp();
    },
  };
}

export function inMemorySqljs(): IsolatedDatabase {
  return {
    label: 'sql.js (in memory)',
    persistent: false,
    ...tracked({ sqlitePath: IN_MEMORY_SQLITE }, async () => {}),
  };
}

/** sql.js backed by a file in a fresh temporary directory, as the app runs without DATABASE_URL. */
export function fileSqljs(): IsolatedDatabase {
  const directory = mkdtempSync(join(tmpdir(), 'sample-api-db-'));
  const location = { sqlitePath: join(directory, 'nested', 'sample-api.sqlite') };
  return {
    label: 'sql.js (file)',
    persistent: true,
    ...tracked(location, async () => rmSync(directory, { recursive: true, force: true })),
  };
}

/**
 * A uniquely named schema in the PostgreSQL database at `url`, created now and dropped by `dispose()`, so
 * parallel and repeated runs never collide and the shared database is left as it was found.
 */
export async function postgresSchema(url: string): Promise<IsolatedDatabase> {
  const schema = `test_${process.pid}_${randomBytes(6).toString('hex')}`;
  const admin = await new DataSource({ type: 'postgres', url }).initialize();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  return {
    label: 'PostgreSQL',
    persistent: true,
    ...tracked({ databaseUrl: url, schema }, async () => {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.destroy();
      }
    }),
  };
}
