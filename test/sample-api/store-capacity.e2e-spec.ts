import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { MemorySecurityStore, SECURITY_STORE } from '@api-security/nestjs';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

const PASSWORD = 'correct horse battery staple';
const BOUND = 2000;
const SPRAY_CLIENTS = 2 * BOUND;
const CONCURRENCY = 32;
/** Rate limited per client address when anonymous (then 401); /api/health is exempt from limits. */
const ANONYMOUS_ROUTE = '/api/v1/users/me';

/** GET from a source address of its own: Linux routes all of 127/8 to lo, so each is a distinct client. */
function getFrom(localAddress: string, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A full in-memory store never resurrects security state: with STORE_MAX_ENTRIES=2000, 4,000 other
 * clients (distinct loopback source addresses) fill the counters, and the logged-out token, the
 * locked account and the store's bound all hold.
 */
describe(`sample-api with a full memory store (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  let port: number;
  const api = () => request(sample.app.getHttpServer());

  beforeAll(async () => {
    sample = await startSampleApp({
      REDIS_URL: undefined,
      STORE_MAX_ENTRIES: String(BOUND),
      // The budget newcomers share in the coarse fallback bucket once the per-client table is full.
      RATE_LIMIT: '100/60s',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_LOCKOUT_SECONDS: '600',
    });
    await sample.app.listen(0, '127.0.0.1');
    port = (sample.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => sample.close());

  async function register(): Promise<string> {
    const email = `cap-${randomUUID().slice(0, 8)}@example.com`;
    const res = await api().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'Cap' });
    expect(res.status).toBe(201);
    return email;
  }

  it(`keeps a logged-out token dead and a locked account locked while ${SPRAY_CLIENTS} other clients arrive`, async () => {
    const store = sample.app.get<MemorySecurityStore>(SECURITY_STORE, { strict: false });
    expect(store).toBeInstanceOf(MemorySecurityStore);

    const loggedOut = await register();
    const pair = (await api().post('/api/v1/auth/login').send({ email: loggedOut, password: PASSWORD })).body as {
      accessToken: string;
      refreshToken: string;
    };
    const auth = { Authorization: `Bearer ${pair.accessToken}` };
    expect((await api().post('/api/v1/auth/logout').set(auth)).status).toBe(204);
    expect((await api().get('/api/v1/users/me').set(auth)).status).toBe(401);

    const locked = await register();
    for (let i = 0; i < 3; i++) {
      const res = await api()
        .post('/api/v1/auth/login')
        .send({ email: locked, password: `wrong password ${i}` });
      expect(res.status).toBe(401);
    }
    expect((await api().post('/api/v1/auth/login').send({ email: locked, password: PASSWORD })).status).toBe(429);

    // A client that holds a counter before the spray keeps being served during it (401: past the rate
    // limit, refused only for lack of a token).
    expect(await getFrom('127.0.0.1', port, ANONYMOUS_ROUTE)).toBe(401);

    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < SPRAY_CLIENTS) {
        const i = next++;
        // 127.1.0.0 – 127.1.15.159: one /16, so the coarse fallback bucket is shared by the spray.
        const status = await getFrom(`127.1.${i >> 8}.${i & 255}`, port, ANONYMOUS_ROUTE);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(store.size).toBeLessThanOrEqual(BOUND);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect((await api().get('/api/v1/users/me').set(auth)).status).toBe(401);
    expect((await api().post('/api/v1/auth/refresh').send({ refreshToken: pair.refreshToken })).status).toBe(401);
    const stillLocked = await api().post('/api/v1/auth/login').send({ email: locked, password: PASSWORD });
    expect(stillLocked.status).toBe(429);
    expect(stillLocked.body.code).toBe('ERR_ACCOUNT_LOCKED');
    // Every spray request was counted (401 past the limit), and once the table and the fallback
    // bucket were full the newcomers were refused (429): never a 5xx, never a silent pass.
    expect([...statuses.keys()].sort()).toEqual([401, 429]);
    expect(statuses.get(429)).toBeGreaterThan(BOUND / 2);
    // Counters get half the bound and anonymous clients 90% of that (900 own buckets); after that the
    // newcomers share their /16's fallback bucket, RATE_LIMIT (100) requests, then are refused.
    expect(statuses.get(401)).toBeGreaterThan(950);
    expect(statuses.get(401)).toBeLessThanOrEqual(1000);
    expect(store.size).toBeLessThanOrEqual(BOUND);
    expect(await getFrom('127.0.0.1', port, ANONYMOUS_ROUTE)).toBe(401);
  });
});
