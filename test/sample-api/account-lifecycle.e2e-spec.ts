import request from 'supertest';
import { DataSource } from 'typeorm';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';
import { sampleAccounts, type Account } from './sample-accounts';

const ADMIN = { email: 'root-lifecycle@example.com', password: 'admin password for tests' };
const PARALLEL = 30;

/** CONTRACT: DELETE /api/v1/users/:id — the user's tokens and API keys stop working at once. */
describe(`sample-api deleted and deactivated accounts (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  let admin: Account;
  const http = () => request(sample.app.getHttpServer());
  const bearer = (account: Account) => ({ Authorization: `Bearer ${account.token}` });

  const { login, account } = sampleAccounts(() => sample);

  async function apiKey(owner: Account): Promise<string> {
    const res = await http().post('/api/v1/api-keys').set(bearer(owner)).send({ name: 'lifecycle' });
    expect(res.status).toBe(201);
    return res.body.key as string;
  }

  const meWithKey = (key: string) => http().get('/api/v1/users/me').set('X-API-Key', key);
  const meWithToken = (owner: Account) => http().get('/api/v1/users/me').set(bearer(owner));
  const setActive = (target: Account, isActive: boolean) =>
    http().patch(`/api/v1/users/${target.id}`).set(bearer(admin)).send({ isActive });
  const statuses = (responses: request.Response[]) => responses.map((r) => r.status).sort();

  beforeAll(async () => {
    sample = await startSampleApp({ SEED_ADMIN_EMAIL: ADMIN.email, SEED_ADMIN_PASSWORD: ADMIN.password });
    const token = await login(ADMIN.email, ADMIN.password);
    const me = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
    admin = { id: me.body.id as string, email: ADMIN.email, token };
  });
  afterAll(() => sample.close());

  it(`a user deleted from the database (no revocation) gets 401 on GET /users/me, not 404 (${PARALLEL} in parallel); B goes on`, async () => {
    const a = await account('gone');
    const b = await account('stays');
    // Removed behind the app's back (another service, a manual fix): nothing revoked the token.
    await sample.app
      .get(DataSource)
      .createQueryBuilder()
      .delete()
      .from('users')
      .where('id = :id', { id: a.id })
      .execute();
    const after = await Promise.all(Array.from({ length: PARALLEL }, () => meWithToken(a)));
    expect(statuses(after)).toEqual(Array<number>(PARALLEL).fill(401));
    expect(after[0]?.headers['content-type']).toMatch(/problem\+json/);
    expect(after[0]?.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect((await meWithToken(b)).status).toBe(200);
  });

  it("DELETE /users/:id ends the user's tokens and API keys at once", async () => {
    const a = await account('deleted');
    const key = await apiKey(a);
    expect((await meWithKey(key)).status).toBe(200);
    expect((await meWithToken(a)).status).toBe(200);
    expect((await http().delete(`/api/v1/users/${a.id}`).set(bearer(admin))).status).toBe(204);
    const refused = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => (i % 2 ? meWithKey(key) : meWithToken(a))),
    );
    expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
  });

  it('deactivation ends API keys at once; reactivation does not revive them, a new key works', async () => {
    const a = await account('deact-keys');
    const key = await apiKey(a);
    expect((await meWithKey(key)).status).toBe(200);
    expect((await setActive(a, false)).status).toBe(200);
    const refused = await Promise.all(Array.from({ length: PARALLEL }, () => meWithKey(key)));
    expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));

    expect((await setActive(a, true)).status).toBe(200);
    expect((await meWithKey(key)).status).toBe(401);
    // The old session stays ended too; a new login works and lists no surviving key.
    expect((await meWithToken(a)).status).toBe(401);
    const again = { ...a, token: await login(a.email) };
    expect((await http().get('/api/v1/api-keys').set(bearer(again))).body).toEqual([]);
    const fresh = await apiKey(again);
    expect((await meWithKey(fresh)).status).toBe(200);
    expect((await meWithKey(key)).status).toBe(401);
  });
});
