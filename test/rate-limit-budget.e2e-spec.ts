import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  API_KEY_RESOLVER,
  ApiKeyAuthenticator,
  ApiKeyService,
  ApiSecurityModule,
  ErrorCode,
  JwtAuthenticator,
  JwtKeyService,
  TokenService,
  type RateLimitOptions,
  type SecurityEvent,
  type SecurityStoreOptions,
} from '@api-security/nestjs';
import { TokenForge } from '@api-security/nestjs/testing';
import { FixtureApiKeyResolver, FixtureApiKeysModule, WhoAmIController } from './fixtures/api-key.fixture';
import { StaticTokenAuthenticator } from './fixtures/foundation.fixture';
import { JWT_AUDIENCE, JWT_ISSUER, ProbeController, serverConfig } from './fixtures/jwt.fixture';
import { LimitedController } from './fixtures/rate-limit.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';
import { onSecurityEvent } from './utils/security-events';
import { describeWithServices } from './support/services';

/*
 * The general tiers are one budget per principal (per IP when anonymous) across every route, with
 * route tiers on top; and a client that is already over its limit is refused before its
 * credential costs anything (signature verification, failure events).
 */

const as = (user: string) => ({ Authorization: `Bearer ${user}` });
const MEMORY: SecurityStoreOptions = { type: 'memory' };

function staticApp(kind: AdapterKind, rateLimit: RateLimitOptions): Promise<INestApplication> {
  return createApp(kind, {
    imports: [ApiSecurityModule.forRoot({ rateLimit, store: MEMORY, authenticators: [StaticTokenAuthenticator] })],
    controllers: [LimitedController],
  });
}

const JWT = serverConfig('ES256');

function jwtApp(
  kind: AdapterKind,
  rateLimit: RateLimitOptions,
  store: SecurityStoreOptions,
): Promise<INestApplication> {
  return createApp(kind, {
    imports: [ApiSecurityModule.forRoot({ jwt: JWT.jwt, rateLimit, store, authenticators: [JwtAuthenticator] })],
    controllers: [ProbeController, LimitedController],
  });
}

/** Tokens that pass every header check (the server's alg, typ and kid) but are signed with another key. */
async function badTokenForge(app: INestApplication): Promise<TokenForge> {
  return TokenForge.create({
    algorithm: 'ES256',
    key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    kid: app.get(JwtKeyService).signingKid,
  });
}

async function listening(app: INestApplication): Promise<Server> {
  const server = app.getHttpServer() as Server;
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Counts signature verifications: each one starts by looking up the verification key. */
function countVerifications(apps: INestApplication[]): () => number {
  const spies = apps.map((app) => jest.spyOn(app.get(JwtKeyService), 'verificationKey'));
  return () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
}

const count = (events: SecurityEvent[], type: SecurityEvent['type']) => events.filter((e) => e.type === type).length;

describe.each(ADAPTERS)('one general budget per principal across routes (%s)', (kind) => {
  let app: INestApplication;
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(app.getHttpServer()).get(`/api/limited/${path}`).set(headers);

  beforeEach(async () => {
    app = await staticApp(kind, { tiers: { default: '3/60s' }, headers: 'both' });
  });
  afterEach(() => app.close());

  it('a user spreading requests over 3 routes gets 429 after 3 in total, not 3 per route', async () => {
    const routes = ['mine', 'other', 'tight'];
    for (let i = 0; i < 3; i++) {
      const res = await get(routes[i], as('user-a'));
      expect(res.status).toBe(200);
      expect(res.headers.ratelimit).toMatch(new RegExp(`^"default";r=${2 - i};t=\\d+`));
    }
    for (const route of routes) {
      const refused = await get(route, as('user-a'));
      expectProblem(refused, 429, ErrorCode.RATE_LIMITED);
      expect(refused.headers['ratelimit-limit']).toBe('3');
    }
    expect((await get('other', as('user-b'))).status).toBe(200);
  });

  it('anonymous clients share one budget per IP across the public routes', async () => {
    expect((await get('open')).status).toBe(200);
    expect((await get('catalogue')).status).toBe(200);
    expect((await get('open')).status).toBe(200);
    expectProblem(await get('catalogue'), 429, ErrorCode.RATE_LIMITED);
    const echo = await request(app.getHttpServer()).post('/api/limited/echo').send({ text: 'x' });
    expectProblem(echo, 429, ErrorCode.RATE_LIMITED);
  });

  it('a route tier still applies on top of the general budget, and the legacy fields report the refusing tier', async () => {
    const first = await get('tight', as('user-a'));
    expect(first.headers['ratelimit-policy']).toBe('"default";q=3;w=60, "route:default";q=2;w=60');
    expect(first.headers.ratelimit).toMatch(/^"default";r=2;t=\d+, "route:default";r=1;t=\d+$/);
    expect((await get('tight', as('user-a'))).status).toBe(200);
    const refused = await get('tight', as('user-a'));
    expectProblem(refused, 429, ErrorCode.RATE_LIMITED);
    expect(refused.headers['ratelimit-limit']).toBe('2');
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    // The general budget had room: the route tier alone refused.
    expect(refused.headers.ratelimit).toMatch(/^"default";r=0;t=\d+, "route:default";r=0;t=\d+$/);
  });

  it('admits exactly the general limit of 30 parallel requests spread over 3 routes', async () => {
    await app.close();
    app = await staticApp(kind, { tiers: { default: '10/60s' } });
    const server = await listening(app);
    const routes = ['mine', 'other', 'third'];
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        request(server)
          .get(`/api/limited/${routes[i % 3]}`)
          .set(as('user-a'))
          .then((res) => res.status),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
  });
});

describe.each(ADAPTERS)('a limited client is refused before its credential is checked (%s)', (kind) => {
  let app: INestApplication;
  let forge: TokenForge;
  let events: SecurityEvent[];
  let verifications: () => number;

  beforeEach(async () => {
    app = await jwtApp(kind, { tiers: { default: '2/60s' } }, MEMORY);
    forge = await badTokenForge(app);
    events = [];
    onSecurityEvent(app, (event) => events.push(event));
    verifications = countVerifications([app]);
  });
  afterEach(() => app.close());

  const probe = async (server: Server | INestApplication, token: string) =>
    request('listening' in server ? server : server.getHttpServer())
      .get('/api/probe/me')
      .set('Authorization', `Bearer ${token}`);

  it('40 parallel bad tokens from a client over its limit: all 429, none verified, no failure event, one rate_limit.hit', async () => {
    for (let i = 0; i < 2; i++) expect((await probe(app, await forge.accessToken({ sub: `u${i}` }))).status).toBe(401);
    expect(verifications()).toBe(2);
    expect(count(events, 'authentication.failure')).toBe(2);

    const server = await listening(app);
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => forge.accessToken({ sub: `burst-${i}` })));
    const burst = await Promise.all(tokens.map((token) => probe(server, token)));
    expect(burst.map((res) => res.status)).toEqual(Array.from({ length: 40 }, () => 429));
    for (const res of burst) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(verifications()).toBe(2);
    expect(count(events, 'authentication.failure')).toBe(2);
    expect(count(events, 'rate_limit.hit')).toBe(1);
  });

  it('a client under its limit is still verified and answered 401 for a bad token', async () => {
    expect((await probe(app, await forge.accessToken())).status).toBe(401);
    expect(verifications()).toBe(1);
  });

  it('a token this instance already verified keeps working from an address that bad tokens exhausted', async () => {
    const { token } = await app.get(TokenService).issueAccessToken({ sub: `user-${randomUUID()}`, role: 'user' });
    expect((await probe(app, token)).status).toBe(200);
    for (let i = 0; i < 3; i++) await probe(app, await forge.accessToken());
    expect((await probe(app, await forge.accessToken())).status).toBe(429);
    expect((await probe(app, token)).status).toBe(200);
    // A token never seen here cannot be told apart from a forged one without verifying it: it waits.
    const { token: unseen } = await app
      .get(TokenService)
      .issueAccessToken({ sub: `user-${randomUUID()}`, role: 'user' });
    expect((await probe(app, unseen)).status).toBe(429);
  });
});

describe.each(ADAPTERS)('a limited client is refused before its API key is looked up (%s)', (kind) => {
  let app: INestApplication;

  beforeEach(async () => {
    app = await createApp(kind, {
      imports: [
        ApiSecurityModule.forRoot({
          authenticators: [ApiKeyAuthenticator],
          rateLimit: { tiers: { default: '2/60s' } },
          store: MEMORY,
        }),
        FixtureApiKeysModule,
      ],
      controllers: [WhoAmIController],
    });
  });
  afterEach(() => app.close());

  it('40 parallel wrong keys from a client over its limit: all 429, no lookup, no hash comparison, no failure event', async () => {
    const keys = app.get(ApiKeyService);
    const resolver = app.get<FixtureApiKeyResolver>(API_KEY_RESOLVER, { strict: false });
    const { key } = resolver.issue(keys);
    // A wrong secret that is still a well-formed key, so it is looked up: the last character only
    // carries padding bits (changing it can make a non-canonical spelling, refused before lookup).
    const at = key.length - 10;
    const wrong = key.slice(0, at) + (key[at] === 'A' ? 'B' : 'A') + key.slice(at + 1);
    const lookups = jest.spyOn(resolver, 'findByPrefix');
    const comparisons = jest.spyOn(keys, 'matches');
    const events: SecurityEvent[] = [];
    onSecurityEvent(app, (event) => events.push(event));
    const server = await listening(app);
    const call = () => request(server).get('/api/whoami').set('X-API-Key', wrong);

    for (let i = 0; i < 2; i++) expect((await call()).status).toBe(401);
    expect([lookups.mock.calls.length, comparisons.mock.calls.length]).toEqual([2, 2]);
    const burst = await Promise.all(Array.from({ length: 40 }, call));
    expect(burst.map((res) => res.status)).toEqual(Array.from({ length: 40 }, () => 429));
    expect([lookups.mock.calls.length, comparisons.mock.calls.length]).toEqual([2, 2]);
    expect(count(events, 'authentication.failure')).toBe(2);
    expect(count(events, 'rate_limit.hit')).toBe(1);
  });
});

describeWithServices('rate-limit budget over Redis', ['redis'], ({ redis: url }) => {
  describe('one budget and the pre-check on two instances sharing Redis (express + fastify)', () => {
    let apps: INestApplication[];
    let servers: Server[];

    beforeEach(async () => {
      const store: SecurityStoreOptions = { type: 'redis', url, keyPrefix: `budget-e2e-${randomUUID()}:` };
      const rateLimit = { tiers: { default: '3/60s' } };
      apps = [await jwtApp('express', rateLimit, store), await jwtApp('fastify', rateLimit, store)];
      servers = await Promise.all(apps.map(listening));
    });
    afterEach(async () => {
      for (const app of apps) await app.close();
    });

    it('40 parallel requests of one user over 3 routes and both instances: exactly 3 admitted', async () => {
      const { token } = await apps[0].get(TokenService).issueAccessToken({ sub: `user-${randomUUID()}`, role: 'user' });
      const routes = ['probe/me', 'limited/mine', 'limited/other'];
      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(servers[i % 2])
            .get(`/api/${routes[i % 3]}`)
            .set('Authorization', `Bearer ${token}`)
            .then((res) => res.status),
        ),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(37);
    });

    it('40 parallel anonymous requests over 2 public routes and both instances: exactly 3 admitted', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(servers[i % 2])
            .get(i % 4 < 2 ? '/api/limited/open' : '/api/limited/catalogue')
            .then((res) => res.status),
        ),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(37);
    });

    it('40 parallel bad tokens over both instances from a limited client: none verified, no failure event', async () => {
      const events: SecurityEvent[] = [];
      for (const app of apps) onSecurityEvent(app, (event) => events.push(event));
      const verifications = countVerifications(apps);
      const forge = await badTokenForge(apps[0]);
      for (let i = 0; i < 3; i++) {
        const res = await request(servers[i % 2])
          .get('/api/probe/me')
          .set('Authorization', `Bearer ${await forge.accessToken()}`);
        expect(res.status).toBe(401);
      }
      expect(verifications()).toBe(3);
      const tokens = await Promise.all(Array.from({ length: 40 }, () => forge.accessToken()));
      const statuses = await Promise.all(
        tokens.map((token, i) =>
          request(servers[i % 2])
            .get('/api/probe/me')
            .set('Authorization', `Bearer ${token}`)
            .then((res) => res.status),
        ),
      );
      expect(statuses).toEqual(Array.from({ length: 40 }, () => 429));
      expect(verifications()).toBe(3);
      expect(count(events, 'authentication.failure')).toBe(3);
      expect(count(events, 'rate_limit.hit')).toBe(1);
    });
  });
});
