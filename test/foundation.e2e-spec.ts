import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { OpenController, StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem as expectProblemShape } from './utils/problem';

function expectProblem(res: request.Response, status: number, code: string): void {
  expectProblemShape(res, status, code);
  expect(res.text).not.toMatch(/stack|at \w+ \(|node_modules|\.ts:|SELECT|secret|Nest|express|fastify/i);
}

function expectHardenedHeaders(res: request.Response): void {
  expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-powered-by']).toBeUndefined();
}

describe.each(ADAPTERS)('foundation over HTTP (%s)', (kind) => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createApp(kind, {
      imports: [
        ApiSecurityModule.forRoot({
          hardening: { cors: { origins: ['https://app.example.com'], credentials: true } },
          authenticators: [StaticTokenAuthenticator],
        }),
      ],
      controllers: [ThingsController, OpenController],
    });
  });
  afterAll(() => app.close());

  describe('secure by default', () => {
    it('rejects a protected route without credentials: 401 problem with WWW-Authenticate: Bearer', async () => {
      const res = await http().get('/api/things/mine');
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('rejects an invalid credential with error="invalid_token"', async () => {
      const res = await http().get('/api/things/mine').set('Authorization', 'Bearer forged');
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });

    it('admits an authenticated principal and gives it to the handler', async () => {
      const res = await http().get('/api/things/mine').set('Authorization', 'Bearer user-a');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: 'user-a' });
      expectHardenedHeaders(res);
    });

    it('lets @Public() routes (method and controller level) through without credentials', async () => {
      expect((await http().get('/api/things/public')).status).toBe(200);
      expect((await http().get('/api/open')).body).toEqual({ open: true });
    });

    it('protects a versioned route too', async () => {
      expectProblem(await http().get('/api/v2/things/versioned'), 401, ErrorCode.UNAUTHENTICATED);
    });

    it('ignores credentials on the query string', async () => {
      const res = await http().get('/api/things/mine?access_token=user-a&authorization=Bearer%20user-a');
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
    });
  });

  describe('problem details', () => {
    it('answers an unknown route with a 404 problem, request id and hardened headers', async () => {
      const res = await http().get('/api/nope/../../etc/passwd');
      expectProblem(res, 404, ErrorCode.NOT_FOUND);
      expectHardenedHeaders(res);
    });

    it('turns an unexpected error into a generic 500 without internals', async () => {
      const res = await http().get('/api/things/boom').set('Authorization', 'Bearer user-a');
      expectProblem(res, 500, ErrorCode.INTERNAL);
      expect(res.body).toBeDefined();
    });

    it('reports validation failures with the offending fields', async () => {
      const res = await http()
        .post('/api/things')
        .set('Authorization', 'Bearer user-a')
        .send({ items: [{ sku: 'a', quantity: 500 }], role: 'admin' });
      expectProblem(res, 400, ErrorCode.VALIDATION);
      const fields = (JSON.parse(res.text) as { errors: { field: string }[] }).errors.map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['role', 'items[0].quantity']));
    });

    it('authenticates before validating: an anonymous invalid body is a 401, not a 400', async () => {
      expectProblem(await http().post('/api/things').send({ junk: true }), 401, ErrorCode.UNAUTHENTICATED);
    });
  });

  describe('request hardening', () => {
    it('refuses a body over the limit with 413 before reading it', async () => {
      const big = JSON.stringify({ items: [{ sku: 'x'.repeat(200 * 1024), quantity: 1 }] });
      const res = await http().post('/api/things/public').set('Content-Type', 'application/json').send(big);
      expectProblem(res, 413, ErrorCode.PAYLOAD_TOO_LARGE);
      expectHardenedHeaders(res);
    });

    it.each([
      ['text/plain', 'hello'],
      ['application/xml', '<a/>'],
      ['application/x-www-form-urlencoded', 'a=1'],
    ])('refuses %s on a JSON route with 415', async (type, payload) => {
      const res = await http().post('/api/things/public').set('Content-Type', type).send(payload);
      expectProblem(res, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    });

    it('refuses a body without a content type with 415', async () => {
      const res = await http().post('/api/things/public').send(Buffer.from('{"items":[]}'));
      expectProblem(res, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    });

    it('answers malformed JSON with 400', async () => {
      const res = await http().post('/api/things/public').set('Content-Type', 'application/json').send('{"items": [');
      expectProblem(res, 400, ErrorCode.MALFORMED_JSON);
    });

    it('accepts application/json with a charset', async () => {
      const res = await http()
        .post('/api/things/public')
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ items: [{ sku: 'a', quantity: 1 }] }));
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ count: 1 });
    });

    it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
      const safe = await http().get('/api/things/public').set('X-Request-Id', 'abc-123.DEF');
      expect(safe.headers['x-request-id']).toBe('abc-123.DEF');
      const unsafe = await http().get('/api/things/public').set('X-Request-Id', 'evil value;\tinjected');
      expect(unsafe.headers['x-request-id']).not.toContain('evil');
      expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('CORS', () => {
    it('allows a listed origin with credentials and Vary: Origin', async () => {
      const res = await http().get('/api/things/public').set('Origin', 'https://app.example.com');
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers.vary).toMatch(/Origin/);
    });

    it('answers a preflight from a listed origin', async () => {
      const res = await http()
        .options('/api/things')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      expect(res.headers['access-control-allow-headers']).toContain('Authorization');
    });

    it('never reflects an unlisted origin and never sends *', async () => {
      const res = await http().get('/api/things/public').set('Origin', 'https://evil.example.com');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await http()
        .options('/api/things')
        .set('Origin', 'https://evil.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
