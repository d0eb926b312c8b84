import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createSampleApp, type SampleAppOptions } from '../../apps/sample-api/src/bootstrap';

export interface RunningSampleApp {
  app: INestApplication;
  /** The Redis key prefix this app writes under; a second instance shares it. */
  redisKeyPrefix: string;
  /** The DATABASE_URL this app runs on (PostgreSQL only), so a second instance can share it. */
  databaseUrl?: string;
  /** Human-readable database the app runs on, for test names. */
  database: string;
  close(): Promise<void>;
}

/** The database the sample app's e2e suites run on: PostgreSQL when DATABASE_URL is set (CI), else SQLite. */
export const SAMPLE_DATABASE = process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite';

/**
 * Boots the sample app as `npm start` does, with `env` layered over the process environment.
 * On PostgreSQL every app gets its own schema (dropped on close), so suites never see each other's rows.
 */
export async function startSampleApp(
  env: Record<string, string | undefined> = {},
  shareDatabaseWith?: RunningSampleApp,
  options: SampleAppOptions = {},
): Promise<RunningSampleApp> {
  const saved = { ...process.env };
  let dropSchema: () => Promise<void> = async () => undefined;
  // Suites run in parallel against one Redis: each app (pair) gets its own key space, and a general
  // rate limit high enough that only the suites about rate limiting ever meet it.
  const redisKeyPrefix = shareDatabaseWith?.redisKeyPrefix ?? `e2e-${process.pid}-${randomBytes(4).toString('hex')}:`;
  const overrides: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    RATE_LIMIT: '100000/60s',
    REDIS_KEY_PREFIX: redisKeyPrefix,
    // .ci/run exports the cluster's seeds for the suites that ask for it; every other suite keeps the
    // backend it names (REDIS_URL, or memory), since the cluster would take precedence over REDIS_URL.
    REDIS_CLUSTER_NODES: undefined,
    ...env,
  };
  const databaseUrl = process.env.DATABASE_URL;
  if (shareDatabaseWith?.databaseUrl) {
    overrides.DATABASE_URL = shareDatabaseWith.databaseUrl;
  } else if (databaseUrl) {
    const schema = `e2e_${process.pid}_${randomBytes(5).toString('hex')}`;
    const admin = await new DataSource({ type: 'postgres', url: databaseUrl }).initialize();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    overrides.DATABASE_URL = url.toString();
    dropSchema = async () => {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.destroy();
      }
    };
  } else {
    overrides.SQLITE_PATH = ':memory:';
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    const app = await createSampleApp({ logger: false, ...options });
    return {
      app,
      redisKeyPrefix,
      ...(overrides.DATABASE_URL ? { databaseUrl: overrides.DATABASE_URL } : {}),
      database: SAMPLE_DATABASE,
      close: async () => {
        await app.close();
        await dropSchema();
      },
    };
  } catch (error) {
    await dropSchema();
    throw error;
  } finally {
    process.env = saved;
  }
}
