import { Controller, Get, Logger, Module } from '@nestjs/common';
import request from 'supertest';
import {
  ApiSecurityConfigError,
  ApiSecurityModule,
  ConfigErrorCode,
  Public,
  RouteAuditError,
  RouteInventoryService,
  type ApiSecurityModuleOptions,
} from '@api-security/nestjs';
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

  it.each(['express', 'fastify'] as const)(
    'refuses to start on %s with a misspelt top-level key, naming it and the closest valid key',
    async (adapter) => {
      const boot = createApp(adapter, {
        // A plain object, as it would come from a config file: the compiler cannot catch the typo there.
        imports: [ApiSecurityModule.forRoot(JSON.parse('{"ratelimit":{"enabled":false}}') as ApiSecurityModuleOptions)],
        controllers: [ThingsController],
      });
      await expect(boot).rejects.toBeInstanceOf(ApiSecurityConfigError);
      await expect(boot).rejects.toMatchObject({
        code: ConfigErrorCode.UNKNOWN_OPTION,
        message: expect.stringContaining('Unknown option "ratelimit"; did you mean "rateLimit"?') as unknown,
      });
    },
  );

  it('refuses to start with a misspelt nested key from forRootAsync, naming its full path', async () => {
    const boot = createApp('fastify', {
      imports: [
        ApiSecurityModule.forRootAsync({
          useFactory: () =>
            ({ rateLimit: { tiers: { default: { limit: '100/60s', blocks: '5m' } } } }) as ApiSecurityModuleOptions,
        }),
      ],
      controllers: [ThingsController],
    });
    await expect(boot).rejects.toMatchObject({
      code: 'ERR_CONFIG_UNKNOWN_OPTION',
      problems: ['Unknown option "rateLimit.tiers.default.blocks"; did you mean "rateLimit.tiers.default.block"?'],
    });
  });

  it('refuses invalid values with the invalid-option code', async () => {
    await expect(
      createApp('express', {
        imports: [ApiSecurityModule.forRoot({ jwt: { clockToleranceSeconds: 600 } })],
        controllers: [ThingsController],
      }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID_OPTION' });
  });

  it('fails the boot in strict mode when a route shadows another, naming both', async () => {
    const boot = createApp('express', {
      imports: [ApiSecurityModule.forRoot({})],
      controllers: [FirstController, ShadowController],
    });
    await expect(boot).rejects.toThrow(
      /GET \/api\/a\/same: ShadowController\.second is shadowed by FirstController\.first/,
    );
    await expect(boot).rejects.toBeInstanceOf(RouteAuditError);
    await expect(boot).rejects.toMatchObject({
      code: 'ERR_CONFIG_ROUTE_AUDIT',
      findings: [
        {
          route: 'GET /api/a/same',
          message: expect.stringContaining('ShadowController.second is shadowed by FirstController.first') as unknown,
        },
      ],
    });
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
