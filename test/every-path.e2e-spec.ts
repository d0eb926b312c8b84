import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { OpenController, StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';

/** The contract's headers of every response. */
function expectHardenedHeaders(res: request.Response): void {
  expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['x-powered-by']).toBeUndefined();
}

const API_CSP = "default-src 'none'";
const HS256_SECRET = 'a-test-secret-of-more-than-32-bytes-for-production';

interface Mode {
  name: string;
  nodeEnv: string;
  documentationPaths: readonly string[];
}

const MODES: readonly Mode[] = [
  {
    name: 'NODE_ENV=test, Swagger UI listed in documentationPaths',
    nodeEnv: 'test',
    documentationPaths: ['/api/docs'],
  },
  { name: 'NODE_ENV=production, no documentationPaths', nodeEnv: 'production', documentationPaths: [] },
];

/**
 * Boots the app the way a user's main.ts does: Swagger mounted on the adapter before `init()`.
 * Fastify serves the document only (Swagger UI's static files need @fastify/static).
 * NODE_ENV is set while the app is built: Express and the module read it then.
 */
async function start(kind: AdapterKind, mode: Mode): Promise<INestApplication> {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = mode.nodeEnv;
  try {
    return await createApp(
      kind,
      {
        imports: [
          ApiSecurityModule.forRoot({
            jwt: { algorithm: 'HS256', secret: HS256_SECRET },
            apiKeys: { header: 'x-service-key' },
            hardening: {
              cors: { origins: ['https://app.example.com'] },
              documentationPaths: mode.documentationPaths,
            },
            authenticators: [StaticTokenAuthenticator],
          }),
        ],
        controllers: [ThingsController, OpenController],
      },
      (app) => {
        const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('fixture').build());
        SwaggerModule.setup('api/docs', app, document, { ui: kind === 'express' });
      },
    );
  } finally {
    process.env.NODE_ENV = saved;
  }
}

describe.each(ADAPTERS)('every path hardened (%s)', (kind) => {
  describe.each(MODES)('$name', (mode) => {
    let app: INestApplication;
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      app = await start(kind, mode);
    });
    afterAll(() => app.close());

    it.each([
      '/',
      '/.env',
      '/.git/config',
      '//api/things/public',
      '/%2fapi%2fthings%2fpublic',
      '/api%2fthings%2fpublic',
      '/api/nope',
      '/apiary',
    ])('answers GET %s with a 404 problem and every security header', async (path) => {
      const res = await http().get(path);
      expectProblem(res, 404, ErrorCode.NOT_FOUND);
      expectHardenedHeaders(res);
      expect(res.headers['content-security-policy']).toContain(API_CSP);
      expect(res.text).not.toMatch(/Cannot|<html|express|fastify/i);
    });

    it('answers other methods outside the prefix the same way', async () => {
      for (const res of [
        await http().post('/').set('Content-Type', 'application/json').send('{"a":1}'),
        await http().delete('/.env'),
        await http().put('//api/things'),
      ]) {
        expectProblem(res, 404, ErrorCode.NOT_FOUND);
        expectHardenedHeaders(res);
      }
    });

    it('keeps serving the routes it matches, outside or inside the prefix', async () => {
      const res = await http().get('/api/things/public');
      expect(res.status).toBe(200);
      expectHardenedHeaders(res);
    });

    it('sends the OpenAPI document with every security header and the API CSP', async () => {
      const res = await http().get('/api/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      expectHardenedHeaders(res);
      expect(res.headers['content-security-policy']).toContain(API_CSP);
    });

    if (kind === 'express') {
      it('sends Swagger UI and its assets with every security header', async () => {
        for (const path of ['/api/docs', '/api/docs/', '/api/docs/swagger-ui-init.js', '/api/docs/swagger-ui.css']) {
          const res = await http().get(path);
          expect(res.status).toBe(200);
          expectHardenedHeaders(res);
        }
      });

      it('gives Swagger UI the documentation CSP only when documentationPaths lists it', async () => {
        const csp = String((await http().get('/api/docs')).headers['content-security-policy']);
        if (mode.documentationPaths.length === 0) {
          expect(csp).toContain(API_CSP);
          return;
        }
        const directives = Object.fromEntries(
          csp.split(';').map((d) => {
            const [name, ...values] = d.trim().split(/\s+/);
            return [name, values.join(' ')];
          }),
        );
        expect(directives).toMatchObject({
          'default-src': "'self'",
          'script-src': "'self'",
          'img-src': "'self' data:",
          'frame-ancestors': "'none'",
          'object-src': "'none'",
        });
        // A sibling path is not documentation.
        expect((await http().get('/api/docsx')).headers['content-security-policy']).toContain(API_CSP);
      });
    }

    it('allows the configured API-key header in a CORS preflight', async () => {
      const res = await http()
        .options('/api/things')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'x-service-key');
      expect(res.status).toBe(204);
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-service-key']));
      expect(allowed).not.toContain('x-api-key');
    });
  });
});
