import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  assertProblemDetails,
  checkProblemDetails,
  checkSecurityHeaders,
  LoopbackCanary,
  probeBola,
  probeMassAssignment,
  probeSsrf,
  TokenForge,
} from '@api-security/nestjs/testing';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

const PASSWORD = 'correct horse battery staple';
const ADMIN = { email: 'root-kit@example.com', password: 'admin password for tests' };

interface Account {
  id: string;
  email: string;
  headers: Record<string, string>;
}

/** The sample app checked from outside with the security test kit, as a user would check their own app. */
describe(`sample-api through the security test kit (${SAMPLE_DATABASE})`, () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let sample: RunningSampleApp;
  let forge: TokenForge;
  let admin: Account;
  let a: Account;
  let b: Account;
  let orderOfA: string;
  const http = () => request(sample.app.getHttpServer());

  async function login(email: string, password = PASSWORD): Promise<Record<string, string>> {
    const res = await http().post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return { Authorization: `Bearer ${res.body.accessToken}` };
  }

  async function register(tag: string): Promise<Account> {
    const email = `${tag}-${randomUUID().slice(0, 8)}@example.com`;
    const res = await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: tag });
    expect(res.status).toBe(201);
    return { id: res.body.id, email, headers: await login(email) };
  }

  beforeAll(async () => {
    sample = await startSampleApp({
      RATE_LIMIT: '100000/60s',
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: pem,
      SEED_ADMIN_EMAIL: ADMIN.email,
      SEED_ADMIN_PASSWORD: ADMIN.password,
    });
    forge = await TokenForge.create({ algorithm: 'ES256', key: pem, issuer: 'sample-api', audience: 'sample-api' });
    const adminHeaders = await login(ADMIN.email, ADMIN.password);
    admin = {
      id: (await http().get('/api/v1/users/me').set(adminHeaders)).body.id,
      email: ADMIN.email,
      headers: adminHeaders,
    };
    a = await register('alice');
    b = await register('bob');
    const order = await http()
      .post('/api/v1/orders')
      .set(a.headers)
      .send({ items: [{ sku: 'SKU-1', quantity: 1 }] });
    expect(order.status).toBe(201);
    orderOfA = order.body.id;
  });
  afterAll(() => sample?.close());

  it('BOLA: B reaches none of A’s resources on any @Owns route, and every @Owns route was probed', async () => {
    const report = await probeBola(sample.app, {
      ids: { user: a.id, order: orderOfA },
      owner: a.headers,
      other: b.headers,
      bodies: { 'PATCH /api/v1/users/:id': { name: 'Mallory' } },
    });
    expect(report.findings).toEqual([]);
    expect(report.unprobed).toEqual([]);
    expect(report.probed).toEqual(
      expect.arrayContaining(['GET /api/v1/users/:id', 'PATCH /api/v1/users/:id', 'GET /api/v1/orders/:id']),
    );
    expect(report.optedOut.map((o) => o.route)).toEqual(
      expect.arrayContaining(['DELETE /api/v1/users/:id', 'DELETE /api/v1/api-keys/:id']),
    );
    expect((await http().get(`/api/v1/users/${a.id}`).set(a.headers)).body.name).toBe('alice');
  });

  it('the forge’s valid token works (control), and every forged token is refused with 401', async () => {
    const me = { sub: a.id, role: 'user' };
    expect(
      (
        await http()
          .get('/api/v1/users/me')
          .set(await forge.bearer(me))
      ).status,
    ).toBe(200);
    const forged = await forge.forgedTokens(me);
    expect(forged.length).toBeGreaterThan(50);
    const accepted: string[] = [];
    for (const token of forged) {
      const res = await http().get(`/api/v1/users/me${token.query}`).set(token.headers);
      if (res.status !== token.expect) accepted.push(`${token.name}: ${res.status}`);
      else expect(checkProblemDetails(res, { status: 401, code: 'ERR_UNAUTHENTICATED' })).toEqual([]);
    }
    expect(accepted).toEqual([]);
  });

  it('mass assignment: a user cannot write role, isActive or internalNotes, nor an unknown field, at registration or on PATCH', async () => {
    const readBack = async () => {
      const { body } = await http().get(`/api/v1/users/${a.id}`).set(admin.headers);
      return { role: body.role, isActive: body.isActive, internalNotes: body.internalNotes, name: body.name };
    };
    const report = await probeMassAssignment(sample.app, {
      targets: [
        {
          route: 'PATCH /api/v1/users/:id',
          params: { id: a.id },
          headers: a.headers,
          roles: ['user'],
          body: () => ({ name: 'alice' }),
          readBack,
        },
        {
          route: 'POST /api/v1/auth/register',
          headers: {},
          roles: [],
          body: () => ({ email: `reg-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, name: 'reg' }),
        },
      ],
      values: { role: 'admin', isActive: false, internalNotes: 'owned' },
    });
    expect(report.findings).toEqual([]);
    expect(report.probed).toEqual([
      'PATCH /api/v1/users/:id role',
      'PATCH /api/v1/users/:id isActive',
      'PATCH /api/v1/users/:id internalNotes',
      'PATCH /api/v1/users/:id isAdmin',
      'POST /api/v1/auth/register isAdmin',
    ]);
    expect(report.untyped).toEqual([]);
  });

  it('security headers on public, authenticated and error responses', async () => {
    expect(checkSecurityHeaders(await http().get('/api/health'))).toEqual([]);
    const me = await http().get('/api/v1/users/me').set(a.headers).set('X-Request-Id', 'kit-e2e-1');
    expect(checkSecurityHeaders(me, { authenticated: true, requestId: 'kit-e2e-1' })).toEqual([]);
    expect(
      checkSecurityHeaders(await http().get(`/api/v1/orders/${orderOfA}`).set(b.headers), { authenticated: true }),
    ).toEqual([]);
  });

  it('problem details on 400, 401, 403 or 404 and 415', async () => {
    assertProblemDetails(await http().get('/api/v1/users/me'), { status: 401 });
    assertProblemDetails(await http().get(`/api/v1/orders/${orderOfA}`).set(b.headers), { status: 404 });
    assertProblemDetails(await http().get('/api/v1/users').set(a.headers), { status: 403 });
    const invalid = assertProblemDetails(
      await http()
        .post('/api/v1/orders')
        .set(a.headers)
        .send({ items: [{ sku: 'SKU-1', quantity: 0 }] }),
      { status: 400 },
    );
    expect(invalid.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'items[0].quantity' })]));
    assertProblemDetails(
      await http().post('/api/v1/orders').set(a.headers).set('Content-Type', 'text/plain').send('items'),
      { status: 415 },
    );
  });

  it('SSRF: every payload to POST /previews is refused and none reaches the loopback canary, even with loopback hosts allowlisted', async () => {
    const canary = new LoopbackCanary();
    await canary.start();
    // Allowlisting the loopback names and the canary's port leaves the connect-time address check as the only defence.
    const exposed = await startSampleApp({
      RATE_LIMIT: '100000/60s',
      PREVIEW_ALLOWED_HOSTS: '127.0.0.1,localhost,169.254.169.254,10.0.0.1,allowed.example',
      PREVIEW_ALLOWED_PORTS: `80,443,${canary.port}`,
    });
    try {
      const email = `ssrf-${randomUUID().slice(0, 8)}@example.com`;
      const server = exposed.app.getHttpServer();
      expect(
        (await request(server).post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 's' })).status,
      ).toBe(201);
      const token = (await request(server).post('/api/v1/auth/login').send({ email, password: PASSWORD })).body
        .accessToken;
      const report = await probeSsrf(exposed.app, {
        path: '/api/v1/previews',
        headers: { Authorization: `Bearer ${token}` },
        canary,
        allowedHost: 'allowed.example',
        // 502 is a name that did not resolve (this sandbox has no DNS: `localhost.`, `allowed.example`); the
        // canary count below is what proves no request left for a forbidden address.
        refused: [400, 502],
      });
      expect(report.sent).toBeGreaterThan(80);
      expect(report.findings).toEqual([]);
      expect(canary.connections).toBe(0);
    } finally {
      await exposed.close();
      await canary.stop();
    }
  });
});
