import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';
import { describeWithServices } from '../support/services';

const PASSWORD = 'correct horse battery staple';
const ADMIN = { email: 'root-audit@example.com', password: 'admin password for tests' };

describe(`sample-api admin inventory and security events (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const http = () => request(sample.app.getHttpServer());

  async function tokenFor(email: string, password: string): Promise<string> {
    const res = await http().post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  }

  async function newUser(): Promise<{ email: string; token: string }> {
    const email = `audit-${randomUUID().slice(0, 8)}@example.com`;
    expect((await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'A' })).status).toBe(
      201,
    );
    return { email, token: await tokenFor(email, PASSWORD) };
  }

  beforeAll(async () => {
    sample = await startSampleApp({ SEED_ADMIN_EMAIL: ADMIN.email, SEED_ADMIN_PASSWORD: ADMIN.password });
  });
  afterAll(() => sample.close());

  it('lists every route with its security metadata for admins only', async () => {
    const admin = await tokenFor(ADMIN.email, ADMIN.password);
    const user = await newUser();
    expect((await http().get('/api/v1/admin/inventory').set('Authorization', `Bearer ${user.token}`)).status).toBe(403);
    const res = await http().get('/api/v1/admin/inventory').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    const routes = res.body.routes as {
      method: string;
      path: string;
      public: boolean;
      roles: string[];
      effectiveRoles: string[];
    }[];
    const find = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path);
    expect(find('GET', '/api/health')?.public).toBe(true);
    expect(find('POST', '/api/v1/auth/login')?.public).toBe(true);
    expect(find('GET', '/api/v1/users/me')?.public).toBe(false);
    expect(find('GET', '/api/v1/admin/inventory')?.roles).toEqual(['admin']);
    // Declared roles beside the ones that pass through the hierarchy: admin includes manager.
    expect(find('GET', '/api/v1/users')).toMatchObject({ roles: ['manager'], effectiveRoles: ['manager', 'admin'] });
    expect(find('GET', '/api/v1/admin/inventory')?.effectiveRoles).toEqual(['admin']);
    expect(find('GET', '/api/v1/users/me')?.effectiveRoles).toEqual([]);
    // HTTP routes only under `routes`; the resolvers are listed beside them with their decision.
    expect(routes.every((r) => /^(GET|POST|PUT|PATCH|DELETE)$/.test(r.method) && r.path.startsWith('/'))).toBe(true);
    const resolvers = res.body.graphql as { path: string; graphql: { kind: string; access: string } }[];
    expect(resolvers.find((r) => r.path === 'Query.order')?.graphql).toMatchObject({ kind: 'query', access: 'owner' });
    expect(resolvers.find((r) => r.path === 'User.orders')?.graphql).toMatchObject({ kind: 'field', access: 'owner' });
  });

  it('records login failures, lockouts and refresh-token reuse, newest first, without secrets', async () => {
    const admin = await tokenFor(ADMIN.email, ADMIN.password);
    const victim = await newUser();
    const badPassword = `wrong-${randomUUID()}`;
    for (let i = 0; i < 5; i++) {
      await http().post('/api/v1/auth/login').send({ email: victim.email, password: badPassword });
    }
    const other = await newUser();
    const refresh = (await http().post('/api/v1/auth/login').send({ email: other.email, password: PASSWORD })).body
      .refreshToken as string;
    await http().post('/api/v1/auth/refresh').send({ refreshToken: refresh });
    await http().post('/api/v1/auth/refresh').send({ refreshToken: refresh });

    const forbidden = await http().get('/api/v1/admin/security-events').set('Authorization', `Bearer ${other.token}`);
    expect(forbidden.status).toBe(403);

    // No wait: the endpoint flushes this instance's queued events before it reads.
    const res = await http().get('/api/v1/admin/security-events?limit=100').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    const types = (res.body.items as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['authentication.failure', 'authentication.lockout', 'token.reuse', 'access.denied']),
    );
    const times = (res.body.items as { occurredAt: string }[]).map((e) => Date.parse(e.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    for (const secret of [badPassword, PASSWORD, refresh, other.token, admin]) expect(res.text).not.toContain(secret);
    // Accounts appear only as keyed pseudonyms: neither the email nor its bare SHA-256 (a dictionary reverses it).
    const failures = (res.body.items as { type: string; details: { accountHash?: string } | null }[]).filter(
      (e) => e.type === 'authentication.failure' && e.details?.accountHash,
    );
    expect(failures.length).toBeGreaterThan(0);
    expect(res.text).not.toContain(victim.email);
    expect(res.text).not.toContain(createHash('sha256').update(victim.email).digest('hex'));
    expect(
      (await http().get('/api/v1/admin/security-events?limit=101').set('Authorization', `Bearer ${admin}`)).status,
    ).toBe(400);
  });

  it('raises one alert.threshold event when one address fails to log in more than 10 times in 5 minutes', async () => {
    const admin = await tokenFor(ADMIN.email, ADMIN.password);
    for (let i = 0; i < 12; i++) {
      const res = await http()
        .post('/api/v1/auth/login')
        .send({ email: `nobody-${i}-${randomUUID().slice(0, 6)}@example.com`, password: 'wrong password 123' });
      expect(res.status).toBe(401);
    }
    const res = await http().get('/api/v1/admin/security-events?limit=100').set('Authorization', `Bearer ${admin}`);
    const alerts = (res.body.items as { type: string; reason: string }[]).filter((e) => e.type === 'alert.threshold');
    expect(alerts).toEqual([expect.objectContaining({ reason: 'authentication.failure by ip' })]);
  });

  it('filters by ?type= and lists an event the moment its request has answered', async () => {
    const admin = await tokenFor(ADMIN.email, ADMIN.password);
    const user = await newUser();
    await http()
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: `wrong-${randomUUID()}` });
    // Reading flushes the queue, so the denial below starts a new partial batch, held for a second.
    const before = await http().get('/api/v1/admin/security-events').set('Authorization', `Bearer ${admin}`);
    expect(before.status).toBe(200);
    const requestId = `audit-${randomUUID()}`;
    const denied = await http()
      .get('/api/v1/admin/reports')
      .set('Authorization', `Bearer ${user.token}`)
      .set('X-Request-Id', requestId);
    expect(denied.status).toBe(403);

    // Read at once: the sink batches inserts, so without the endpoint's flush the event would still be queued.
    const res = await http()
      .get('/api/v1/admin/security-events?type=access.denied&limit=100')
      .set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    const items = res.body.items as { type: string; requestId: string | null }[];
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((e) => e.type))).toEqual(new Set(['access.denied']));
    expect(items.map((e) => e.requestId)).toContain(requestId);

    const all = await http().get('/api/v1/admin/security-events?limit=100').set('Authorization', `Bearer ${admin}`);
    expect((all.body.items as { type: string }[]).map((e) => e.type)).toContain('authentication.failure');
    expect(res.body.total).toBeLessThan(all.body.total as number);
    expect(res.body.total).toBe(
      (all.body.items as { type: string }[]).filter((e) => e.type === 'access.denied').length,
    );

    const unknown = await http()
      .get('/api/v1/admin/security-events?type=no.such.type')
      .set('Authorization', `Bearer ${admin}`);
    expect(unknown.status).toBe(400);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((unknown.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['type']);
  });
});

/** Needs a database two instances can share, which .ci/run provides (PostgreSQL). */
describeWithServices('sample-api on PostgreSQL', ['postgres'], () => {
  describe('sample-api security events at shutdown (PostgreSQL)', () => {
    let reader: RunningSampleApp;

    beforeAll(async () => {
      reader = await startSampleApp({ SEED_ADMIN_EMAIL: ADMIN.email, SEED_ADMIN_PASSWORD: ADMIN.password });
    });
    afterAll(() => reader.close());

    it('an instance that shuts down writes its queued events before its database connection closes', async () => {
      const closing = await startSampleApp({}, reader);
      const requestId = `shutdown-${randomUUID()}`;
      const denied = await request(closing.app.getHttpServer())
        .get('/api/v1/admin/reports')
        .set('X-Request-Id', requestId)
        .set('Authorization', 'Bearer not-a-token');
      expect(denied.status).toBe(401);
      // A partial batch waits a second for company; closing must not lose it.
      await closing.close();

      const login = await request(reader.app.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ email: ADMIN.email, password: ADMIN.password });
      const res = await request(reader.app.getHttpServer())
        .get('/api/v1/admin/security-events?type=authentication.failure&limit=100')
        .set('Authorization', `Bearer ${login.body.accessToken as string}`);
      expect(res.status).toBe(200);
      expect((res.body.items as { requestId: string | null }[]).map((e) => e.requestId)).toContain(requestId);
    });
  });
});
