import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import { expectProblem } from '../utils/problem';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';
import { sampleAccounts, type Account } from './sample-accounts';

const ADMIN = { email: 'root-integrity@example.com', password: 'admin password for tests' };
const UNMATCHED = ['/', '/.env', '//api/v1/users/me', '/%2fapi%2fv1%2fusers%2fme', '/api%2fv1%2fusers%2fme'];

function expectHardenedHeaders(res: request.Response): void {
  expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers['referrer-policy']).toBeDefined();
  expect(res.headers['x-powered-by']).toBeUndefined();
}

function fieldsOf(res: request.Response): string[] {
  return ((JSON.parse(res.text) as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
}

describe(`sample-api input integrity (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  let a: Account;
  let b: Account;
  let admin: Account;
  const http = () => request(sample.app.getHttpServer());

  const { login, account } = sampleAccounts(() => sample);

  const as = (who: Account, req: request.Test) => req.set('Authorization', `Bearer ${who.token}`);
  const me = async (who: Account) => (await as(who, http().get('/api/v1/users/me'))).body as Record<string, unknown>;
  const orders = async (who: Account) =>
    (await as(who, http().get('/api/v1/orders'))).body as { items: unknown[]; total: number };

  beforeAll(async () => {
    sample = await startSampleApp({
      SEED_ADMIN_EMAIL: ADMIN.email,
      SEED_ADMIN_PASSWORD: ADMIN.password,
      CORS_ORIGINS: 'https://app.example.com',
    });
    a = await account('alice');
    b = await account('bob');
    const adminToken = await login(ADMIN.email, ADMIN.password);
    const adminId = ((await me({ id: '', email: ADMIN.email, token: adminToken })) as { id: string }).id;
    admin = { id: adminId, email: ADMIN.email, token: adminToken };
  });
  afterAll(() => sample.close());

  describe('POST /api/v1/orders', () => {
    it.each([
      ['{"items":[[]]}', 'items[0]'],
      ['{"items":[[{"sku":"A","quantity":1}]]}', 'items[0]'],
      ['{"items":[{"sku":"A","quantity":1},[{"sku":"B","quantity":1}]]}', 'items[1]'],
      ['{"items":[1]}', 'items[0]'],
      ['{"items":{"sku":"A","quantity":1}}', 'items'],
    ])('refuses %s with 400 naming %s, and no order is created', async (body, field) => {
      const res = await as(a, http().post('/api/v1/orders').set('Content-Type', 'application/json').send(body));
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toContain(field);
      expect((await orders(a)).total).toBe(0);
    });

    it('still creates an order from item objects', async () => {
      const res = await as(
        b,
        http()
          .post('/api/v1/orders')
          .send({ items: [{ sku: 'A', quantity: 1 }] }),
      );
      expect(res.status).toBe(201);
      expect((await orders(b)).items).toEqual([
        expect.objectContaining({ items: [expect.objectContaining({ sku: 'A', quantity: 1 })] }),
      ]);
    });
  });

  describe('PATCH /api/v1/users/:id', () => {
    it.each(['\u0000', '\u0007', '\n', '\u001b'])(
      'answers a name with %j with 400, never 500, and changes nothing',
      async (character) => {
        const res = await as(
          a,
          http()
            .patch(`/api/v1/users/${a.id}`)
            .send({ name: `Al${character}ice` }),
        );
        expectProblem(res, 400, ErrorCode.VALIDATION);
        expect(fieldsOf(res)).toEqual(['name']);
        expect((await me(a)).name).toBe('alice');
      },
    );

    it('lets an admin write multi-line internal notes, never with NUL', async () => {
      const ok = await as(
        admin,
        http().patch(`/api/v1/users/${b.id}`).send({ internalNotes: 'called twice\nprefers email' }),
      );
      expect(ok.status).toBe(200);
      const nul = await as(admin, http().patch(`/api/v1/users/${b.id}`).send({ internalNotes: 'x\u0000' }));
      expectProblem(nul, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(nul)).toEqual(['internalNotes']);
    });

    it.each(['application/merge-patch+json', 'application/vnd.api+json'])(
      'never answers a %s PATCH with a 2xx that skipped the field rules',
      async (type) => {
        for (const body of [{ role: 'admin' }, { name: 'Mallory' }]) {
          const res = await as(
            a,
            http().patch(`/api/v1/users/${a.id}`).set('Content-Type', type).send(JSON.stringify(body)),
          );
          expectProblem(res, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
        }
        expect(await me(a)).toMatchObject({ role: 'user', name: 'alice' });
      },
    );
  });

  describe('every path', () => {
    it.each(UNMATCHED)('answers GET %s with a 404 problem and every security header', async (path) => {
      const res = await http().get(path);
      expectProblem(res, 404, ErrorCode.NOT_FOUND);
      expectHardenedHeaders(res);
      expect(res.text).not.toMatch(/Cannot|<html/i);
    });

    it('sends Swagger UI with every security header and its own CSP', async () => {
      for (const path of ['/api/docs', '/api/docs/swagger-ui-init.js']) {
        const res = await http().get(path);
        expect(res.status).toBe(200);
        expectHardenedHeaders(res);
        expect(res.headers['content-security-policy']).toContain("script-src 'self'");
        expect(res.headers['content-security-policy']).not.toContain("'unsafe-eval'");
      }
    });

    it('allows the API-key header in a CORS preflight', async () => {
      const res = await http()
        .options('/api/v1/users/me')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'x-api-key');
      expect(res.status).toBe(204);
      expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('x-api-key');
    });
  });

  describe('bearer scheme', () => {
    it('refuses anything but "Bearer", one space and the token', async () => {
      expect((await http().get('/api/v1/users/me').set('Authorization', `bearer ${a.token}`)).status).toBe(200);
      for (const header of [`Bearer  ${a.token}`, `Bearer\t${a.token}`, 'Bearer x ']) {
        const res = await http().get('/api/v1/users/me').set('Authorization', header);
        expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      }
    });
  });
});

describe(`sample-api every path with NODE_ENV=production (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const http = () => request(sample.app.getHttpServer());

  beforeAll(async () => {
    sample = await startSampleApp({
      NODE_ENV: 'production',
      JWT_ALGORITHM: 'HS256',
      JWT_SECRET: 'a-production-secret-of-more-than-32-bytes',
    });
  });
  afterAll(() => sample.close());

  it.each(UNMATCHED)('answers GET %s with a 404 problem and every security header', async (path) => {
    const res = await http().get(path);
    expectProblem(res, 404, ErrorCode.NOT_FOUND);
    expectHardenedHeaders(res);
    expect(res.text).not.toMatch(/Cannot|<html/i);
  });

  it('serves no Swagger UI, and says so as a hardened 404', async () => {
    const res = await http().get('/api/docs');
    expectProblem(res, 404, ErrorCode.NOT_FOUND);
    expectHardenedHeaders(res);
  });
});
