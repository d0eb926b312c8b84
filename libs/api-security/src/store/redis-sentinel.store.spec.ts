import { randomUUID } from 'node:crypto';
import { RedisSecurityStore } from './redis.store';
import { StoreUnavailableError } from './store-unavailable.error';
import { describeSecurityStoreConformance } from '../testing/security-store.conformance';
import { startThrowawayRedis, type ThrowawayRedis } from '../../../../test/support/throwaway-redis';
import { startThrowawaySentinel, type ThrowawaySentinel } from '../../../../test/support/throwaway-sentinel';
import { unusedPort } from '../../../../test/support/unused-port';

// A master and a sentinel of this suite's own (redis-server is on PATH wherever the Redis suites run).
describe('RedisSecurityStore through Redis Sentinel', () => {
  let master: ThrowawayRedis;
  let sentinel: ThrowawaySentinel;

  beforeAll(async () => {
    master = await startThrowawayRedis(['--maxmemory-policy', 'noeviction']);
    sentinel = await startThrowawaySentinel(Number(new URL(master.url).port));
  });
  afterAll(async () => {
    await sentinel?.stop();
    await master?.stop();
  });

  describeSecurityStoreConformance(
    'RedisSecurityStore (Sentinel)',
    () => new RedisSecurityStore({ sentinel: { sentinels: [`127.0.0.1:${sentinel.port}`], name: sentinel.name } }),
  );

  it('finds the master through the sentinel and checks its eviction policy at boot', async () => {
    const store = new RedisSecurityStore({
      sentinel: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: sentinel.name },
    });
    try {
      await expect(store.checkConfiguration()).resolves.toBeUndefined();
      const key = `s:${randomUUID()}`;
      await store.set(key, 'v', 1000);
      await expect(store.get(key)).resolves.toBe('v');
    } finally {
      await store.close();
    }
  });

  it('fails fast with StoreUnavailableError when no sentinel answers, or the name is unknown', async () => {
    const nobody = await unusedPort();
    for (const options of [
      { sentinels: [`127.0.0.1:${nobody}`], name: sentinel.name, password: 's3cret-pass' },
      { sentinels: [`127.0.0.1:${sentinel.port}`], name: 'not-monitored', password: 's3cret-pass' },
    ]) {
      const store = new RedisSecurityStore({ sentinel: options, connectTimeoutMs: 300, commandTimeoutMs: 300 });
      try {
        const started = Date.now();
        const error = await store.get('k').then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(String((error as Error).message)).not.toContain('s3cret');
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        await store.close();
      }
    }
  });

  it('refuses sentinel with url, and a sentinel option without a name, with a TypeError', () => {
    expect(
      () =>
        new RedisSecurityStore({ url: 'redis://127.0.0.1:6379', sentinel: { sentinels: ['127.0.0.1:1'], name: 'm' } }),
    ).toThrow(/^RedisSecurityStore: url and sentinel are exclusive/);
    expect(() => new RedisSecurityStore({ sentinel: { sentinels: ['127.0.0.1:1'], name: '' } })).toThrow(
      /sentinel\.name/,
    );
  });
});
