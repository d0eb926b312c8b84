import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  ApiSecurityConfigError,
  ApiSecurityModule,
  ErrorCode,
  type RateLimitOptions,
  type SecurityEvent,
  type SecurityStoreOptions,
} from '@api-security/nestjs';
import { unusedPort } from './support/unused-port';
import { StaticTokenAuthenticator } from './fixtures/foundation.fixture';
import { BrokenLimitController, LimitedController } from './fixtures/rate-limit.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';
import { onSecurityEvent } from './utils/security-events';

function limitedApp(
  kind: AdapterKind,
  rateLimit: RateLimitOptions,
  store: SecurityStoreOptions = { type: 'memory' },
): Promise<INestApplication> {
  return createApp(kind, {
    imports: [ApiSecurityModule.forRoot({ rateLimit, store, authenticators: [StaticTokenAuthenticator] })],
    controllers: [LimitedController],
  });
}

const as = (user: string) => ({ Authorization: `Bearer ${user}` });

describe.each(ADAPTERS)('rate limiting (%s)', (kind) => {
  let app: INestApplication;
  let events: SecurityEvent[];
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(app.getHttpServer()).get(`/api/limited/${path}`).set(headers);

  beforeEach(async () => {
    app = await limitedApp(kind, { tiers: { default: '3/60s' }, headers: 'both' });
    events = [];
    onSecurityEvent(app, (event) => events.push(event));
  });
  afterEach(async () => {
    await app.close();
  });

  it('admits exactly the limit, then answers 429 with Retry-After and the RateLimit fields; another user is unaffected', async () => {
    for (let i = 1; i <= 3; i++) {
      const ok = await get('mine', as('user-a'));
      expect(ok.status).toBe(200);
      expect(ok.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
      expect(ok.headers.ratelimit).toMatch(new RegExp(`^"default";r=${3 - i};t=\\d+$`));
      expect(ok.headers['ratelimit-limit']).toBe('3');
      expect(ok.headers['ratelimit-remaining']).toBe(String(3 - i));
    }
    const refused = await get('mine', as('user-a'));
    expectProblem(refused, 429, ErrorCode.RATE_LIMITED);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers.ratelimit).toMatch(/^"default";r=0;t=\d+$/);
    expect((await get('mine', as('user-b'))).status).toBe(200);
  });

  it('counts every route against one budget, and a route tier on top of it', async () => {
    expect((await get('mine', as('user-a'))).status).toBe(200);
    expect((await get('other', as('user-a'))).status).toBe(200);
    expect((await get('mine', as('user-a'))).status).toBe(200);
    expectProblem(await get('other', as('user-a')), 429, ErrorCode.RATE_LIMITED);
    expect((await get('tight', as('user-b'))).status).toBe(200);
    expect((await get('tight', as('user-b'))).status).toBe(200);
    expectProblem(await get('tight', as('user-b')), 429, ErrorCode.RATE_LIMITED);
  });

  it('counts anonymous requests per IP; a changing X-Forwarded-For does not reset the count without trust proxy', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await get('open', { 'X-Forwarded-For': `203.0.113.${i}` })).status).toBe(200);
    }
    expect((await get('open', { 'X-Forwarded-For': '198.51.100.77' })).status).toBe(429);
  });

  it('counts failed authentications too: a token guesser meets 429, not an endless stream of 401', async () => {
    for (let i = 0; i < 3; i++) expect((await get('mine', as(`guess-${i}`))).status).toBe(401);
    expectProblem(await get('mine', as('guess-x')), 429, ErrorCode.RATE_LIMITED);
  });

  it('honours @nestjs/throttler @Throttle and @SkipThrottle on a route', async () => {
    expect((await get('throttled', as('user-a'))).status).toBe(200);
    expect((await get('throttled', as('user-a'))).status).toBe(429);
    for (let i = 0; i < 10; i++) {
      const res = await get('health');
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-policy']).toBeUndefined();
    }
  });

  it('charges a route its cost, on the general budget and on its route tier', async () => {
    const first = await get('costly', as('user-a'));
    expect(first.status).toBe(200);
    expect(first.headers.ratelimit).toMatch(/^"default";r=1;t=\d+, "route:default";r=3;t=\d+$/);
    expect((await get('costly', as('user-a'))).status).toBe(429);
  });

  it('keeps a client blocked for the block duration, past the end of the window', async () => {
    expect((await get('blocking', as('user-a'))).status).toBe(200);
    const refused = await get('blocking', as('user-a'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(4);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await get('blocking', as('user-a'))).status).toBe(429);
  });

  it('emits one rate_limit.hit event per client crossing the limit, not one per refusal', async () => {
    for (let i = 0; i < 6; i++) await get('mine', as('user-a'));
    for (let i = 0; i < 6; i++) await get('tight', as('user-b'));
    const hits = events.filter((event) => event.type === 'rate_limit.hit');
    expect(hits).toHaveLength(3);
    expect(hits[0]).toMatchObject({ principalId: 'user-a', reason: 'default', route: 'GET /api/limited/mine' });
    // user-b crosses the route tier (third request), then the general budget (fourth): once each.
    expect(hits[1]).toMatchObject({ principalId: 'user-b', reason: 'route:default', route: 'GET /api/limited/tight' });
    expect(hits[2]).toMatchObject({ principalId: 'user-b', reason: 'default', route: 'GET /api/limited/tight' });
  });

  it('admits exactly the limit under concurrency (200 parallel requests, limit 50, memory store)', async () => {
    await app.close();
    app = await limitedApp(kind, { tiers: { default: '50/60s' } });
    const server = app.getHttpServer();
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.listen(0, '127.0.0.1', resolve)));
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        request(server)
          .get('/api/limited/mine')
          .set(as('user-a'))
          .then((res) => res.status),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(50);
    expect(statuses.filter((status) => status === 429)).toHaveLength(150);
  });
});

describe.each(ADAPTERS)('a global budget over all routes (%s)', (kind) => {
  it('refuses a client spreading requests across routes once the global budget is spent', async () => {
    const app = await limitedApp(kind, { tiers: { default: '100/60s' }, global: '4/60s' });
    try {
      const paths = ['mine', 'other', 'tight', 'mine'];
      for (const path of paths) {
        const res = await request(app.getHttpServer()).get(`/api/limited/${path}`).set(as('user-a'));
        expect(res.status).toBe(200);
        expect(res.headers['ratelimit-policy']).toContain('"global";q=4;w=60');
      }
      expect((await request(app.getHttpServer()).get('/api/limited/other').set(as('user-a'))).status).toBe(429);
      expect((await request(app.getHttpServer()).get('/api/limited/other').set(as('user-b'))).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('rate limiting while the store is down', () => {
  it('failOpen: limits keep holding per instance in memory', async () => {
    const port = await unusedPort();
    const app = await limitedApp(
      'express',
      { tiers: { default: '2/60s' } },
      {
        type: 'redis',
        url: `redis://127.0.0.1:${port}`,
        connectTimeoutMs: 200,
        commandTimeoutMs: 200,
        onUnavailable: 'failOpen',
      },
    );
    try {
      const call = () => request(app.getHttpServer()).get('/api/limited/open');
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(200);
      const started = Date.now();
      expect((await call()).status).toBe(429);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await app.close();
    }
  });

  it('failClosed: 503 problem details within the timeout', async () => {
    const port = await unusedPort();
    const app = await limitedApp(
      'express',
      { tiers: { default: '2/60s' } },
      { type: 'redis', url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 200, commandTimeoutMs: 200 },
    );
    try {
      const started = Date.now();
      expectProblem(await request(app.getHttpServer()).get('/api/limited/open'), 503, ErrorCode.STORE_UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await app.close();
    }
  });
});

describe('rate-limit configuration is checked at boot', () => {
  it.each([
    [{ tiers: { default: '100' } }, /rateLimit\.tiers\.default limit "100" is not a rate/],
    [{ tiers: { default: '0/60s' } }, /rateLimit\.tiers\.default limit "0\/60s" is not a rate/],
    [{ tiers: { default: { limit: '5/1s', block: 'forever' } } }, /rateLimit\.tiers\.default block "forever"/],
    [{ tiers: {} }, /rateLimit\.tiers is empty/],
    [{ global: '10/2d' }, /rateLimit\.global limit/],
    [{ headers: 'x-ratelimit' }, /rateLimit\.headers must be one of/],
    [{ ipv6PrefixLength: 8 }, /rateLimit\.ipv6PrefixLength/],
  ])('refuses %j', async (rateLimit, message) => {
    const boot = limitedApp('express', rateLimit as RateLimitOptions);
    await expect(boot).rejects.toThrow(ApiSecurityConfigError);
    await expect(boot).rejects.toThrow(message);
  });

  it('names the route whose @RateLimit is malformed', async () => {
    const boot = createApp('express', {
      imports: [ApiSecurityModule.forRoot({ authenticators: [StaticTokenAuthenticator] })],
      controllers: [BrokenLimitController],
    });
    await expect(boot).rejects.toThrow(
      /GET \/api\/broken: @RateLimit tier "default" on GET \/api\/broken limit "lots\/minute" is not a rate/,
    );
  });
});

describe.each(ADAPTERS)('request limits (%s)', (kind) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await limitedApp(kind, { tiers: { default: '1000/60s' } });
  });
  afterAll(async () => {
    await app.close();
  });
  const post = (path: string, body: string) =>
    request(app.getHttpServer()).post(`/api/limited/${path}`).set('Content-Type', 'application/json').send(body);

  it('refuses a body nested 10,000 deep with 400, fast, and stays healthy', async () => {
    const deep = `{"text":"x","n":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const started = Date.now();
    expectProblem(await post('echo', deep), 400, ErrorCode.BODY_SHAPE);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await post('echo', '{"text":"fine"}')).body).toEqual({ length: 4 });
  });

  it('refuses a body of 5,000 keys (under the byte limit) with 400', async () => {
    const many = `{"text":"x",${Array.from({ length: 5000 }, (_, i) => `"k${i}":0`).join(',')}}`;
    expect(Buffer.byteLength(many)).toBeLessThan(100 * 1024);
    expectProblem(await post('echo', many), 400, ErrorCode.BODY_SHAPE);
  });

  it('refuses 100,000 keys and a 1 MB string under a 100 KB limit with 413, and stays healthy', async () => {
    const keys = `{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":0`).join(',')}}`;
    expectProblem(await post('echo', keys), 413, ErrorCode.PAYLOAD_TOO_LARGE);
    expectProblem(
      await post('echo', JSON.stringify({ text: 'a'.repeat(1024 * 1024) })),
      413,
      ErrorCode.PAYLOAD_TOO_LARGE,
    );
    expect((await post('echo', '{"text":"fine"}')).status).toBe(201);
  });

  it('applies a route @BodyLimit below the global one', async () => {
    expect((await post('small', JSON.stringify({ text: 'a'.repeat(500) }))).status).toBe(201);
    expectProblem(await post('small', JSON.stringify({ text: 'a'.repeat(2000) })), 413, ErrorCode.PAYLOAD_TOO_LARGE);
    expect((await post('echo', JSON.stringify({ text: 'a'.repeat(2000) }))).status).toBe(201);
  });
});
