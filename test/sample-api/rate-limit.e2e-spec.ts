import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { TokenService } from '@api-security/nestjs';
import { UsersService } from '../../apps/sample-api/src/users/users.service';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';
import { describeWithServices } from '../support/services';

const PASSWORD = 'correct horse battery staple';

/**
 * A fresh account and an access token for it, made inside the app: register and log in over HTTP
 * would spend the anonymous budget of 127.0.0.1, which the suites below measure.
 */
async function quietUserToken(sample: RunningSampleApp): Promise<string> {
  const user = await sample.app.get(UsersService).create({
    email: `rl-${randomUUID().slice(0, 8)}@example.com`,
    password: PASSWORD,
    name: 'Rate',
  });
  return (await sample.app.get(TokenService).issueAccessToken({ sub: user.id, role: user.role })).token;
}

/** Registers and logs in a fresh user; answers its access token. */
async function userToken(sample: RunningSampleApp): Promise<string> {
  const email = `rl-${randomUUID().slice(0, 8)}@example.com`;
  const http = () => request(sample.app.getHttpServer());
  expect((await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'Rate' })).status).toBe(
    201,
  );
  const login = await http().post('/api/v1/auth/login').send({ email, password: PASSWORD });
  expect(login.status).toBe(200);
  return login.body.accessToken as string;
}

/** A listening server, so hundreds of concurrent supertest calls share one port. */
async function listening(sample: RunningSampleApp): Promise<Server> {
  const server = sample.app.getHttpServer() as Server;
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function burst(servers: Server[], token: string, total: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: total }, (_, i) =>
      request(servers[i % servers.length])
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${token}`)
        .then((res) => res.status),
    ),
  );
}

describe(`sample-api RATE_LIMIT (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const http = () => request(sample.app.getHttpServer());

  beforeAll(async () => {
    sample = await startSampleApp({ RATE_LIMIT: '3/60s' });
  });
  afterAll(() => sample.close());

  it('admits N requests per user, answers N+1 with 429, Retry-After and the RateLimit fields; another user is unaffected', async () => {
    const a = await quietUserToken(sample);
    const b = await quietUserToken(sample);
    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${a}`);
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
      expect(res.headers.ratelimit).toMatch(new RegExp(`^"default";r=${3 - i};t=\\d+$`));
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe(String(3 - i));
      expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
    }
    const refused = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${a}`);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ status: 429, code: 'ERR_RATE_LIMITED' });
    expect((await http().get('/api/v1/users/me').set('Authorization', `Bearer ${b}`)).status).toBe(200);
  });

  it('is one budget per user across all routes, not N per route', async () => {
    const token = await quietUserToken(sample);
    const get = (path: string) => http().get(path).set('Authorization', `Bearer ${token}`);
    expect((await get('/api/v1/users/me')).status).toBe(200);
    expect((await get('/api/v1/orders')).status).toBe(200);
    expect((await get('/api/v1/api-keys')).status).toBe(200);
    for (const path of ['/api/v1/users/me', '/api/v1/orders', '/api/v1/api-keys']) {
      expect((await get(path)).status).toBe(429);
    }
  });

  it('limits anonymous clients per IP; X-Forwarded-For does not buy a new budget without TRUST_PROXY', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await http()
        .get('/api/openapi.json')
        .set('X-Forwarded-For', `198.51.100.${i + 1}`);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('never limits the health check that load balancers poll', async () => {
    for (let i = 0; i < 10; i++) expect((await http().get('/api/health')).status).toBe(200);
  });
});

describe(`sample-api behind a trusted proxy (${SAMPLE_DATABASE})`, () => {
  it('with TRUST_PROXY=1, clients behind the proxy are told apart by X-Forwarded-For', async () => {
    const sample = await startSampleApp({ RATE_LIMIT: '2/60s', TRUST_PROXY: '1' });
    try {
      const get = (ip: string) =>
        request(sample.app.getHttpServer()).get('/api/openapi.json').set('X-Forwarded-For', ip);
      expect((await get('198.51.100.1')).status).toBe(200);
      expect((await get('198.51.100.1')).status).toBe(200);
      expect((await get('198.51.100.1')).status).toBe(429);
      expect((await get('198.51.100.2')).status).toBe(200);
    } finally {
      await sample.close();
    }
  });
});

describe(`sample-api pathological bodies (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  beforeAll(async () => {
    sample = await startSampleApp();
  });
  afterAll(() => sample.close());
  const register = (body: string) =>
    request(sample.app.getHttpServer())
      .post('/api/v1/auth/register')
      .set('Content-Type', 'application/json')
      .send(body);

  it('answers depth 10,000 with 400, 100,000 keys and a 1 MB string with 413, quickly, and stays healthy', async () => {
    const started = Date.now();
    const deep = await register(`{"email":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(deep.status).toBe(400);
    expect(deep.body.code).toBe('ERR_BODY_SHAPE');
    const keys = await register(`{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":0`).join(',')}}`);
    expect(keys.status).toBe(413);
    const long = await register(
      JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1024 * 1024), name: 'x' }),
    );
    expect(long.status).toBe(413);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await request(sample.app.getHttpServer()).get('/api/health')).status).toBe(200);
  });
});

describe(`sample-api rate limit under concurrency (${SAMPLE_DATABASE})`, () => {
  it('one instance in memory mode: 200 concurrent requests against a limit of 50 admit exactly 50', async () => {
    const sample = await startSampleApp({ RATE_LIMIT: '50/60s', REDIS_URL: undefined });
    try {
      const statuses = await burst([await listening(sample)], await userToken(sample), 200);
      expect(statuses.filter((status) => status === 200)).toHaveLength(50);
      expect(statuses.filter((status) => status === 429)).toHaveLength(150);
    } finally {
      await sample.close();
    }
  });

  describeWithServices('on two instances sharing Redis and PostgreSQL', ['redis', 'postgres'], () => {
    it('two instances sharing Redis: 200 concurrent requests split over both against a limit of 50 admit exactly 50', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const env = {
        RATE_LIMIT: '50/60s',
        JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
      const one = await startSampleApp(env);
      const two = await startSampleApp(env, one);
      try {
        const statuses = await burst([await listening(one), await listening(two)], await userToken(one), 200);
        expect(statuses.filter((status) => status === 200)).toHaveLength(50);
        expect(statuses.filter((status) => status === 429)).toHaveLength(150);
      } finally {
        await two.close();
        await one.close();
      }
    });
  });
});
