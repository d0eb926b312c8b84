import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, type SecurityStoreOptions } from '@api-security/nestjs';
import { TcpProxy } from './support/tcp-proxy';
import { unusedPort } from './support/unused-port';
import { StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { createApp } from './utils/create-app';
import { describeWithServices } from './support/services';

const TIMEOUTS = { connectTimeoutMs: 300, commandTimeoutMs: 300 };

async function appWithStore(store: SecurityStoreOptions): Promise<INestApplication> {
  return createApp('express', {
    imports: [ApiSecurityModule.forRoot({ store, authenticators: [StaticTokenAuthenticator] })],
    controllers: [ThingsController],
  });
}

function counter(app: INestApplication, user = 'user-a'): Promise<request.Response> {
  return request(app.getHttpServer()).get('/api/things/counter').set('Authorization', `Bearer ${user}`);
}

describe('shared state through the SecurityStore', () => {
  it('memory store: state is per principal and survives across requests', async () => {
    const app = await appWithStore({ type: 'memory' });
    try {
      expect((await counter(app)).body).toEqual({ value: 1 });
      expect((await counter(app)).body).toEqual({ value: 2 });
      expect((await counter(app, 'user-b')).body).toEqual({ value: 1 });
    } finally {
      await app.close();
    }
  });

  it('Redis unreachable (nothing listening), failClosed: 503 problem details, fast, no crash', async () => {
    const port = await unusedPort();
    const app = await appWithStore({ type: 'redis', url: `redis://127.0.0.1:${port}`, ...TIMEOUTS });
    try {
      const started = Date.now();
      const res = await counter(app);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(ErrorCode.STORE_UNAVAILABLE);
      expect(res.text).not.toContain(String(port));
      // Public routes are rate limited too, and rate limiting fails closed with the store: still an answer, no crash.
      const open = await request(app.getHttpServer()).get('/api/things/public');
      expect(open.status).toBe(503);
      expect(open.body.code).toBe(ErrorCode.STORE_UNAVAILABLE);
    } finally {
      await app.close();
    }
  });

  describeWithServices('over Redis', ['redis'], ({ redis: redisUrl }) => {
    const target = new URL(redisUrl);

    describe.each(['failClosed', 'failOpen'] as const)('Redis outage with policy %s', (policy) => {
      let proxy: TcpProxy;
      let app: INestApplication;

      beforeAll(async () => {
        proxy = await TcpProxy.start({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
        app = await appWithStore({
          type: 'redis',
          url: `redis://127.0.0.1:${proxy.port}`,
          keyPrefix: `e2e-outage-${process.pid}-${Date.now()}:`,
          onUnavailable: policy,
          ...TIMEOUTS,
        });
      });
      afterAll(async () => {
        await app.close();
        await proxy.kill();
      });

      it('serves from Redis while it is up, then follows the policy when it goes silent or dies', async () => {
        expect((await counter(app)).body).toEqual({ value: 1 });
        expect((await counter(app)).body).toEqual({ value: 2 });

        proxy.blackhole();
        let started = Date.now();
        let res = await counter(app);
        expect(Date.now() - started).toBeLessThan(2000);
        // The app's own use of SECURITY_STORE has no purpose the library could vouch for: closed under both.
        expect(res.status).toBe(503);
        expect(res.body.code).toBe(ErrorCode.STORE_UNAVAILABLE);
        expect(res.headers['retry-after']).toBeDefined();
        // Rate limiting is a counter: under failOpen it goes on in per-instance memory.
        expect((await request(app.getHttpServer()).get('/api/things/public')).status).toBe(
          policy === 'failClosed' ? 503 : 200,
        );

        await proxy.kill();
        started = Date.now();
        res = await counter(app);
        expect(Date.now() - started).toBeLessThan(2000);
        expect(res.status).toBe(503);
        expect((await request(app.getHttpServer()).get('/api/things/public')).status).toBe(
          policy === 'failClosed' ? 503 : 200,
        );
      });
    });
  });
});
