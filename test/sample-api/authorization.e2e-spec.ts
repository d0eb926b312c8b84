import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

const PASSWORD = 'correct horse battery staple';
const ADMIN = { email: 'root-authz@example.com', password: 'admin password for tests' };

interface Account {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
}

describe(`sample-api users, orders and admin routes (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  let admin: Account;
  let a: Account;
  let b: Account;
  let manager: Account;
  const bodies: { caller: string; text: string }[] = [];
  const http = () => request(sample.app.getHttpServer());

  /** Every response of this suite is kept so the last test can scan them all for leaks. */
  async function as(account: Account, req: (h: ReturnType<typeof http>) => request.Test): Promise<request.Response> {
    const res = await req(http()).set('Authorization', `Bearer ${account.token}`);
    bodies.push({ caller: account === admin ? 'admin' : 'other', text: res.text });
    return res;
  }

  async function login(email: string, password = PASSWORD): Promise<{ token: string; refreshToken: string }> {
    const res = await http().post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return { token: res.body.accessToken, refreshToken: res.body.refreshToken };
  }

  async function account(tag: string): Promise<Account> {
    const email = `${tag}-${randomUUID().slice(0, 8)}@example.com`;
    const res = await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: tag });
    expect(res.status).toBe(201);
    return { id: res.body.id, email, ...(await login(email)) };
  }

  beforeAll(async () => {
    sample = await startSampleApp({ SEED_ADMIN_EMAIL: ADMIN.email, SEED_ADMIN_PASSWORD: ADMIN.password });
    const adminLogin = await login(ADMIN.email, ADMIN.password);
    const me = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${adminLogin.token}`);
    admin = { id: me.body.id, email: ADMIN.email, ...adminLogin };
    a = await account('alice');
    b = await account('bob');
    manager = await account('manny');
    expect((await as(admin, (h) => h.patch(`/api/v1/users/${manager.id}`).send({ role: 'manager' }))).status).toBe(200);
    manager = { ...manager, ...(await login(manager.email)) };
  });
  afterAll(() => sample.close());

  describe('GET /users/:id', () => {
    it('owner reads own profile; admin also sees isActive and internalNotes', async () => {
      expect((await as(admin, (h) => h.patch(`/api/v1/users/${a.id}`).send({ internalNotes: 'vip' }))).status).toBe(
        200,
      );
      const own = await as(a, (h) => h.get(`/api/v1/users/${a.id}`));
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ id: a.id, email: a.email });
      expect(own.body.isActive).toBeUndefined();
      expect(own.body.internalNotes).toBeUndefined();
      const byAdmin = await as(admin, (h) => h.get(`/api/v1/users/${a.id}`));
      expect(byAdmin.body).toMatchObject({ id: a.id, isActive: true, internalNotes: 'vip' });
    });

    it("B asking for A's profile gets 404, shaped like a missing id", async () => {
      const foreign = await as(b, (h) => h.get(`/api/v1/users/${a.id}`));
      const missing = await as(b, (h) => h.get(`/api/v1/users/${randomUUID()}`));
      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      const strip = (text: string) => {
        const { requestId: _r, instance: _i, ...rest } = JSON.parse(text) as Record<string, unknown>;
        return rest;
      };
      expect(strip(foreign.text)).toEqual(strip(missing.text));
      expect(foreign.text).not.toContain(a.email);
    });

    it.each([
      (id: string) => id.toUpperCase(),
      (id: string) => `${id}/`,
      (id: string) => `..%2f${id}`,
      (id: string) => `%2e%2e%2f${id}`,
      (id: string) => `${id}%00`,
      (id: string) => `${id}?id=${id}`,
    ])('id variant %# never leaks A to B', async (variant) => {
      const res = await as(b, (h) => h.get(`/api/v1/users/${variant(a.id)}`));
      expect([400, 404]).toContain(res.status);
      expect(res.text).not.toContain(a.email);
    });

    it('X-HTTP-Method-Override has no effect', async () => {
      const res = await as(b, (h) => h.get(`/api/v1/users/${b.id}`).set('X-HTTP-Method-Override', 'DELETE'));
      expect(res.status).toBe(200);
      expect((await as(b, (h) => h.get('/api/v1/users/me'))).status).toBe(200);
    });
  });

  describe('PATCH /users/:id', () => {
    it('owner changes name and avatar', async () => {
      const res = await as(a, (h) =>
        h.patch(`/api/v1/users/${a.id}`).send({ name: 'Alice A.', avatar: 'https://img.example.com/a.png' }),
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Alice A.', avatar: 'https://img.example.com/a.png' });
    });

    it.each([{ role: 'admin' }, { isActive: false }, { internalNotes: 'mine now' }])(
      'a user setting %p is refused and nothing changes',
      async (change) => {
        const res = await as(a, (h) => h.patch(`/api/v1/users/${a.id}`).send({ name: 'Sneaky', ...change }));
        expect([400, 403]).toContain(res.status);
        const after = await as(admin, (h) => h.get(`/api/v1/users/${a.id}`));
        expect(after.body).toMatchObject({ role: 'user', isActive: true, internalNotes: 'vip', name: 'Alice A.' });
      },
    );

    it('an unknown field is a 400; B patching A is a 404', async () => {
      expect((await as(a, (h) => h.patch(`/api/v1/users/${a.id}`).send({ nickname: 'x' }))).status).toBe(400);
      expect((await as(b, (h) => h.patch(`/api/v1/users/${a.id}`).send({ name: 'pwned' }))).status).toBe(404);
    });

    it('deactivation ends every session of the user at once', async () => {
      const victim = await account('deact');
      expect((await as(victim, (h) => h.get('/api/v1/users/me'))).status).toBe(200);
      expect((await as(admin, (h) => h.patch(`/api/v1/users/${victim.id}`).send({ isActive: false }))).status).toBe(
        200,
      );
      expect((await as(victim, (h) => h.get('/api/v1/users/me'))).status).toBe(401);
      expect((await http().post('/api/v1/auth/refresh').send({ refreshToken: victim.refreshToken })).status).toBe(401);
      expect((await http().post('/api/v1/auth/login').send({ email: victim.email, password: PASSWORD })).status).toBe(
        401,
      );
    });

    it('a role change ends the old sessions', async () => {
      const promoted = await account('promo');
      expect((await as(admin, (h) => h.patch(`/api/v1/users/${promoted.id}`).send({ role: 'manager' }))).status).toBe(
        200,
      );
      expect((await as(promoted, (h) => h.get('/api/v1/users/me'))).status).toBe(401);
    });
  });

  describe('GET /users and DELETE /users/:id', () => {
    it('a user gets 403 (not 401); a manager lists without admin-only fields; admin too', async () => {
      expect((await as(a, (h) => h.get('/api/v1/users'))).status).toBe(403);
      const byManager = await as(manager, (h) => h.get('/api/v1/users?limit=2'));
      expect(byManager.status).toBe(200);
      expect(byManager.body.items.length).toBeLessThanOrEqual(2);
      expect(byManager.body.total).toBeGreaterThanOrEqual(4);
      for (const item of byManager.body.items) {
        expect(item.internalNotes).toBeUndefined();
        expect(item.isActive).toBeUndefined();
      }
      expect((await as(admin, (h) => h.get('/api/v1/users?limit=100'))).status).toBe(200);
    });

    it('limit over 100 is a 400', async () => {
      expect((await as(admin, (h) => h.get('/api/v1/users?limit=101'))).status).toBe(400);
    });

    it('only an admin deletes; the deleted user is gone and their token dead', async () => {
      const doomed = await account('doomed');
      expect((await as(manager, (h) => h.delete(`/api/v1/users/${doomed.id}`))).status).toBe(403);
      expect((await as(doomed, (h) => h.delete(`/api/v1/users/${doomed.id}`))).status).toBe(403);
      expect((await as(admin, (h) => h.delete(`/api/v1/users/${doomed.id}`))).status).toBe(204);
      expect((await as(doomed, (h) => h.get('/api/v1/users/me'))).status).toBe(401);
      expect((await as(admin, (h) => h.get(`/api/v1/users/${doomed.id}`))).status).toBe(404);
      expect((await as(admin, (h) => h.delete(`/api/v1/users/${doomed.id}`))).status).toBe(404);
    });
  });

  describe('orders', () => {
    it('creates, lists own only, and hides others behind 404', async () => {
      const created = await as(a, (h) => h.post('/api/v1/orders').send({ items: [{ sku: 'ABC-1', quantity: 2 }] }));
      expect(created.status).toBe(201);
      expect(created.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const other = await as(b, (h) => h.post('/api/v1/orders').send({ items: [{ sku: 'B-1', quantity: 1 }] }));
      expect(other.status).toBe(201);

      expect((await as(a, (h) => h.get(`/api/v1/orders/${created.body.id}`))).status).toBe(200);
      expect((await as(b, (h) => h.get(`/api/v1/orders/${created.body.id}`))).status).toBe(404);
      expect((await as(admin, (h) => h.get(`/api/v1/orders/${created.body.id}`))).status).toBe(200);

      const listA = await as(a, (h) => h.get('/api/v1/orders'));
      const ids = listA.body.items.map((o: { id: string }) => o.id);
      expect(ids).toContain(created.body.id);
      expect(ids).not.toContain(other.body.id);
      expect((await as(a, (h) => h.get('/api/v1/orders?limit=101'))).status).toBe(400);
    });

    it.each([
      { items: [] },
      { items: Array.from({ length: 51 }, () => ({ sku: 'x', quantity: 1 })) },
      { items: [{ sku: 'x', quantity: 0 }] },
      { items: [{ sku: 'x', quantity: 101 }] },
      { items: [{ quantity: 1 }] },
      { items: [{ sku: 'x', quantity: 1 }], userId: 'someone-else' },
      { items: [{ sku: 'x', quantity: 1, price: 0 }] },
    ])('refuses an invalid order body %# with 400', async (body) => {
      expect((await as(a, (h) => h.post('/api/v1/orders').send(body))).status).toBe(400);
    });
  });

  describe('admin reports', () => {
    it('is for admins only: user 403, manager 403, admin 200', async () => {
      expect((await as(a, (h) => h.get('/api/v1/admin/reports'))).status).toBe(403);
      expect((await as(manager, (h) => h.get('/api/v1/admin/reports'))).status).toBe(403);
      const res = await as(admin, (h) => h.get('/api/v1/admin/reports'));
      expect(res.status).toBe(200);
      expect(res.body.users).toBeGreaterThan(0);
    });
  });

  it('no response in this suite ever carried a password hash, and internalNotes only to the admin', () => {
    expect(bodies.length).toBeGreaterThan(30);
    for (const { caller, text } of bodies) {
      expect(text).not.toMatch(/\$argon2|passwordHash/);
      if (caller !== 'admin') {
        expect(text).not.toMatch(/"internalNotes"\s*:/);
        expect(text).not.toContain('"vip"');
      }
    }
  });
});
