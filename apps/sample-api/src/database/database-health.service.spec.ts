import type { DataSource } from 'typeorm';
import { DATABASE_HEALTH_TIMEOUT_MS, DatabaseHealthService } from './database-health.service';
import { inMemorySqljs } from './testing/isolated-database';

function fakeDataSource(query: () => Promise<unknown>, isInitialized = true): DataSource {
  return { isInitialized, query } as unknown as DataSource;
}

describe('DatabaseHealthService', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('is up while a real database answers SELECT 1, and down once it is closed', async () => {
    const database = inMemorySqljs();
    const ds = await database.open();
    const health = new DatabaseHealthService(ds);
    expect(await health.isUp()).toBe(true);
    await database.dispose();
    expect(await health.isUp()).toBe(false);
  });

  it('is down, without throwing, when the query fails', async () => {
    const health = new DatabaseHealthService(fakeDataSource(() => Promise.reject(new Error('connection refused'))));
    await expect(health.isUp()).resolves.toBe(false);
  });

  it('is down when the database does not answer in time', async () => {
    jest.useFakeTimers();
    const health = new DatabaseHealthService(fakeDataSource(() => new Promise(() => undefined)));
    const answer = health.isUp();
    await jest.advanceTimersByTimeAsync(DATABASE_HEALTH_TIMEOUT_MS);
    await expect(answer).resolves.toBe(false);
  });

  it('is down before the DataSource is initialised', async () => {
    const query = jest.fn(() => Promise.resolve([]));
    await expect(new DatabaseHealthService(fakeDataSource(query, false)).isUp()).resolves.toBe(false);
    expect(query).not.toHaveBeenCalled();
  });
});
