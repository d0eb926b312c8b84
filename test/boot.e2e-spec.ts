import { Controller, Get, Logger, Module } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, Public, RouteInventoryService } from '@api-security/nestjs';
import { StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { createApp } from './utils/create-app';

@Controller('a')
class FirstController {
  @Public()
  @Get('same')
  first(): string {
    return 'first';
  }
}

@Controller('a')
class ShadowController {
  @Get('same')
  second(): string {
    return 'second';
  }
}

@Module({})
class ConfigSourceModule {}

describe('boot', () => {
  it('forRootAsync resolves options through DI and protects routes', async () => {
    const app = await createApp('express', {
      imports: [
        ApiSecurityModule.forRootAsync({
          imports: [ConfigSourceModule],
          useFactory: async () => ({ hardening: { bodyLimit: '1kb' } }),
          authenticators: [StaticTokenAuthenticator],
        }),
      ],
      controllers: [ThingsController],
    });
    try {
      expect((await request(app.getHttpServer()).get('/api/things/mine')).status).toBe(401);
      const ok = await request(app.getHttpServer()).get('/api/things/mine').set('Authorization', 'Bearer user-b');
      expect(ok.body).toEqual({ id: 'user-b' });
      const big = await request(app.getHttpServer())
        .post('/api/things/public')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ items: [{ sku: 'x'.repeat(2000), quantity: 1 }] }));
      expect(big.status).toBe(413);
    } finally {
      await app.close();
    }
  });

  it('refuses to start with invalid options, naming the option and the fix', async () => {
    await expect(
      createApp('express', {
        imports: [ApiSecurityModule.forRoot({ jwt: { algorithm: 'HS256', secret: 'too-short' } })],
        controllers: [ThingsController],
      }),
    ).rejects.toThrow(/jwt\.secret is shorter than 32 bytes: HS256 needs a random secret of at least 32 bytes/);
  });

  it('refuses to start when async options are invalid', async () => {
    await expect(
      createApp('fastify', {
        imports: [ApiSecurityModule.forRootAsync({ useFactory: () => ({ jwt: { refreshTokenTtlSeconds: -5 } }) })],
        controllers: [ThingsController],
      }),
    ).rejects.toThrow(/jwt\.refreshTokenTtlSeconds must be a positive whole number/);
  });

  it('fails the boot in strict mode when a route shadows another, naming both', async () => {
    await expect(
      createApp('express', {
        imports: [ApiSecurityModule.forRoot({})],
        controllers: [FirstController, ShadowController],
      }),
    ).rejects.toThrow(/GET \/api\/a\/same: ShadowController\.second is shadowed by FirstController\.first/);
  });

  // Express only: Fastify itself refuses a second handler on the same method and path.
  it('only warns in warn mode, naming both routes, and serves the first', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const app = await createApp('express', {
        imports: [ApiSecurityModule.forRoot({ audit: { mode: 'warn' } })],
        controllers: [FirstController, ShadowController],
      });
      try {
        const findings = warn.mock.calls.map(([message]) => String(message)).filter((m) => /is shadowed by/.test(m));
        expect(findings).toEqual([
          expect.stringMatching(/GET \/api\/a\/same: ShadowController\.second is shadowed by FirstController\.first/),
        ]);
        const response = await request(app.getHttpServer()).get('/api/a/same');
        expect(response.status).toBe(200);
        expect(response.text).toBe('first');
      } finally {
        await app.close();
      }
    } finally {
      warn.mockRestore();
    }
  });

  it('builds a route inventory of every route with its security decision', async () => {
    const app = await createApp('fastify', {
      imports: [ApiSecurityModule.forRoot({})],
      controllers: [ThingsController],
    });
    try {
      const routes = app.get(RouteInventoryService).list();
      const byKey = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
      expect(byKey.get('GET /api/things/public')?.public).toBe(true);
      expect(byKey.get('GET /api/things/mine')?.public).toBe(false);
      expect(byKey.get('GET /api/v2/things/versioned')).toMatchObject({ public: false, versions: ['2'] });
      expect(routes).toHaveLength(7);
    } finally {
      await app.close();
    }
  });
});
