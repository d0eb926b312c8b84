import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

const PASSWORD = 'correct horse battery staple';

describe(`sample-api API keys (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const http = () => request(sample.app.getHttpServer());

  async function userToken(): Promise<string> {
    const email = `keys-${randomUUID().slice(0, 8)}@example.com`;
    expect((await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'K' })).status).toBe(
      201,
    );
    return (await http().post('/api/v1/auth/login').send({ email, password: PASSWORD })).body.accessToken as string;
  }

  beforeAll(async () => {
    sample = await startSampleApp();
  });
  afterAll(() => sample.close());

  it('creates a key shown once, lists it without the secret, authenticates with it, and revokes it at once', async () => {
    const token = await userToken();
    const auth = { Authorization: `Bearer ${token}` };
    const created = await http().post('/api/v1/api-keys').set(auth).send({ name: 'ci' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['id', 'key', 'name', 'prefix']);
    const key = created.body.key as string;
    expect(key).toMatch(/^sk_live_/);

    const list = await http().get('/api/v1/api-keys').set(auth);
    expect(list.status).toBe(200);
    expect(list.body.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect(list.text).not.toContain(key);
    // The secret is everything after the public prefix; it may itself contain '_' (base64url).
    const secret = key.slice(key.indexOf(created.body.prefix as string) + (created.body.prefix as string).length + 1);
    expect(secret.length).toBeGreaterThanOrEqual(20);
    expect(list.text).not.toContain(secret);

    const me = await http().get('/api/v1/users/me').set('X-API-Key', key);
    expect(me.status).toBe(200);

    expect((await http().get(`/api/v1/users/me?api_key=${key}`)).status).toBe(401);

    expect((await http().delete(`/api/v1/api-keys/${created.body.id}`).set(auth)).status).toBe(204);
    expect((await http().get('/api/v1/users/me').set('X-API-Key', key)).status).toBe(401);
  });

  it('trims the key name and refuses one that is blank or carries a bidi control (400 naming name)', async () => {
    const auth = { Authorization: `Bearer ${await userToken()}` };
    const trimmed = await http().post('/api/v1/api-keys').set(auth).send({ name: '  deploy  ' });
    expect(trimmed.status).toBe(201);
    expect(trimmed.body.name).toBe('deploy');
    for (const name of ['   ', 'deploy\u202e']) {
      const res = await http().post('/api/v1/api-keys').set(auth).send({ name });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['name']);
    }
  });

  it("never lets user B revoke or see user A's key", async () => {
    const a = { Authorization: `Bearer ${await userToken()}` };
    const b = { Authorization: `Bearer ${await userToken()}` };
    const created = await http().post('/api/v1/api-keys').set(a).send({ name: 'a-key' });
    expect((await http().delete(`/api/v1/api-keys/${created.body.id}`).set(b)).status).toBe(404);
    const listB = await http().get('/api/v1/api-keys').set(b);
    expect(listB.body.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
    expect((await http().get('/api/v1/users/me').set('X-API-Key', created.body.key)).status).toBe(200);
  });

  it('makes exactly 25 keys of 100 parallel creations; the other 75 get 409 problem details', async () => {
    const auth = { Authorization: `Bearer ${await userToken()}` };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        http()
          .post('/api/v1/api-keys')
          .set(auth)
          .send({ name: `burst ${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(25);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(75);
    for (const res of refused) {
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    expect((await http().get('/api/v1/api-keys').set(auth)).body).toHaveLength(25);
  });

  it('refuses forged and malformed keys with 401 problem details', async () => {
    for (const key of ['sk_live_', 'sk_live_aaaaaaaaaaaa_' + 'A'.repeat(43), 'garbage', 'x'.repeat(5000)]) {
      const res = await http().get('/api/v1/users/me').set('X-API-Key', key);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });
});
