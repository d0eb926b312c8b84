import request from 'supertest';
import { ApiSecurityModule, StoreUnavailableError } from '@api-security/nestjs';
import { EvictingRedisPolicyError, RedisSecurityStore } from '@api-security/nestjs/redis';
import { StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { startThrowawayRedis, type ThrowawayRedis } from './support/throwaway-redis';
import { createApp } from './utils/create-app';

/**
 * An evicting Redis drops revocations and lockouts under memory pressure (every key has a TTL, so
 * volatile-* policies apply too). Each case runs its own redis-server child process, so changing
 * its policy never touches the shared Redis other suites use.
 */
describe('Redis maxmemory-policy at boot', () => {
  const warnings: string[] = [];
  const logger = { warn: (message: string): void => void warnings.push(message) };

  beforeEach(() => {
    warnings.length = 0;
  });

  describe('allkeys-lru', () => {
    let redis: ThrowawayRedis;
    beforeAll(async () => {
      redis = await startThrowawayRedis(['--maxmemory-policy', 'allkeys-lru']);
    });
    afterAll(async () => {
      await redis.stop();
    });

    it('refuses to start the app, naming the policy, the risk and the fix', async () => {
      await expect(
        createApp('express', {
          imports: [
            ApiSecurityModule.forRoot({
              store: { type: 'redis', url: redis.url },
              authenticators: [StaticTokenAuthenticator],
            }),
          ],
          controllers: [ThingsController],
        }),
      ).rejects.toThrow(
        /maxmemory-policy is 'allkeys-lru'.*revoked token would work again.*noeviction.*allowEvictingPolicy/s,
      );
    });

    it('fails every operation closed when the check first runs on a request', async () => {
      const store = new RedisSecurityStore({ url: redis.url, logger });
      try {
        const failure = await store.get('k').catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect((failure as Error).cause).toBeInstanceOf(EvictingRedisPolicyError);
        await expect(store.set('k', 'v', 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.checkConfiguration()).rejects.toBeInstanceOf(EvictingRedisPolicyError);
      } finally {
        await store.close();
      }
    });

    it('starts with a warning under allowEvictingPolicy: true, and serves requests', async () => {
      const app = await createApp('fastify', {
        imports: [
          ApiSecurityModule.forRoot({
            store: { type: 'redis', url: redis.url, allowEvictingPolicy: true },
            authenticators: [StaticTokenAuthenticator],
          }),
        ],
        controllers: [ThingsController],
      });
      try {
        const ok = await request(app.getHttpServer()).get('/api/things/mine').set('Authorization', 'Bearer user-b');
        expect(ok.status).toBe(200);
      } finally {
        await app.close();
      }
      const store = new RedisSecurityStore({ url: redis.url, allowEvictingPolicy: true, logger });
      try {
        await store.checkConfiguration();
        await store.set('k', 'v', 1000);
        await expect(store.get('k')).resolves.toBe('v');
        expect(warnings.join('\n')).toMatch(/allkeys-lru.*Starting anyway: allowEvictingPolicy is set/s);
      } finally {
        await store.close();
      }
    });

    it('refuses a non-boolean allowEvictingPolicy at boot', async () => {
      await expect(
        createApp('express', {
          imports: [
            ApiSecurityModule.forRoot({
              store: { type: 'redis', url: redis.url, allowEvictingPolicy: 'yes' as unknown as boolean },
            }),
          ],
          controllers: [ThingsController],
        }),
      ).rejects.toThrow(/store\.allowEvictingPolicy must be true or false/);
    });
  });

  it('refuses volatile-lru too (every key the library writes has a TTL)', async () => {
    const redis = await startThrowawayRedis(['--maxmemory-policy', 'volatile-lru']);
    const store = new RedisSecurityStore({ url: redis.url, logger });
    try {
      await expect(store.checkConfiguration()).rejects.toThrow(/'volatile-lru'/);
    } finally {
      await store.close();
      await redis.stop();
    }
  });

  it('accepts noeviction without a warning', async () => {
    const redis = await startThrowawayRedis(['--maxmemory-policy', 'noeviction']);
    const store = new RedisSecurityStore({ url: redis.url, logger });
    try {
      await store.checkConfiguration();
      await store.set('k', 'v', 1000);
      await expect(store.get('k')).resolves.toBe('v');
      expect(warnings).toEqual([]);
    } finally {
      await store.close();
      await redis.stop();
    }
  });

  it('warns, and starts, when CONFIG is disabled (managed Redis)', async () => {
    const redis = await startThrowawayRedis(['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']);
    const store = new RedisSecurityStore({ url: redis.url, logger });
    try {
      await store.checkConfiguration();
      await store.set('k', 'v', 1000);
      await expect(store.get('k')).resolves.toBe('v');
      expect(warnings.join('\n')).toMatch(/Could not read Redis maxmemory-policy.*noeviction/s);
    } finally {
      await store.close();
      await redis.stop();
    }
  });
});
