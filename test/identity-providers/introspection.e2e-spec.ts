import type { INestApplication, LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  ApiSecurityConfigError,
  ConfigErrorCode,
  ErrorCode,
  SecurityEventBus,
  type SecurityEvent,
} from '@api-security/nestjs';
import { DpopKey } from '@api-security/nestjs/testing';
import { expectProblem } from '../utils/problem';
import { DPOP_HOST, DPOP_ORIGIN, dpopAppMetadata } from './dpop.fixture';
import { ADAPTERS, createApp } from '../utils/create-app';
import { identityProviderApp, TestClock } from './identity-providers.fixture';
import {
  authorizationCodeToken,
  clientCredentialsToken,
  INTROSPECTION_CLIENT,
  OidcProviderHarness,
  revokeToken,
  rsaKey,
  standardClients,
  type PrivateJwk,
  type ProviderSpec,
} from './support/oidc-provider.harness';

const API = 'urn:orders-api';
const OTHER_API = 'urn:billing-api';
/** The revocation latency under test: a revoked token is accepted for at most this long. */
const CACHE = 2;
const CALLS_PER_SECOND = 20;
const SECRET = INTROSPECTION_CLIENT.client_secret;

/**
 * A clock that stands still unless the test moves it: the call budget refills and cached results
 * expire only when the test says so, never because the machine was slow.
 */
class FrozenClock extends TestClock {
  private readonly start = Date.now();
  override readonly now = (): number => this.start + this.offsetMs;
}

/** Everything the app logged, to prove the client secret and the tokens never reach a log. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(...args: unknown[]) {
    this.lines.push(args.map(String).join(' '));
  }
  error(...args: unknown[]) {
    this.log(...args);
  }
  warn(...args: unknown[]) {
    this.log(...args);
  }
}

async function burst(count: number, width: number, send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  for (let start = 0; start < count; start += width) {
    const batch = Array.from({ length: Math.min(width, count - start) }, (_, j) => send(start + j));
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

function opaqueSpec(name: string, keys: PrivateJwk[], opaque: boolean): ProviderSpec {
  return {
    name,
    keys,
    opaque,
    clients: [...standardClients(), INTROSPECTION_CLIENT],
    resourceServers: {
      [API]: { scope: 'orders:read orders:write' },
      [OTHER_API]: { scope: 'orders:read orders:write' },
    },
    defaultResource: API,
    roles: { alice: ['orders-manager'], bob: ['orders-user'], 'service-a': ['orders-user'] },
  };
}

describe.each(ADAPTERS)('opaque access tokens: RFC 7662 introspection at oidc-provider (%s)', (kind) => {
  const harness = new OidcProviderHarness();
  const clock = new FrozenClock();
  const logger = new CapturingLogger();
  let issuers: Record<string, string>;
  let app: INestApplication;
  let baseUrl: string;
  let events: SecurityEvent[];
  const bodies: string[] = [];

  const status = async (token: string): Promise<number> => {
    const response = await fetch(`${baseUrl}/api/idp/me`, { headers: { authorization: `Bearer ${token}` } });
    bodies.push(await response.text());
    return response.status;
  };
  const call = async (path: string, token: string) => {
    const response = await request(app.getHttpServer()).get(`/api/idp/${path}`).set('Authorization', `Bearer ${token}`);
    bodies.push(response.text);
    return response;
  };
  const introspections = async () => (await harness.stats('main')).introspections;
  const failures = () => events.filter((e) => e.type === 'authentication.failure');
  const lastFailure = () => failures().at(-1);
  const ccToken = (scope = 'orders:read', resource = API) =>
    clientCredentialsToken(issuers.main as string, resource, scope);

  beforeAll(async () => {
    const [main, jwtOnly] = await Promise.all([rsaKey('main-1'), rsaKey('jwt-1')]);
    issuers = await harness.start([opaqueSpec('main', [main.jwk], true), opaqueSpec('jwt', [jwtOnly.jwk], false)]);
    app = await createApp(
      kind,
      identityProviderApp(
        {
          jwt: {
            trustedIssuers: [
              {
                issuer: issuers.main as string,
                audience: API,
                rolesClaim: 'realm_access.roles',
                roleMap: { 'orders-manager': 'manager', 'orders-user': 'user' },
                introspection: {
                  clientId: INTROSPECTION_CLIENT.client_id,
                  clientSecret: SECRET,
                  cacheSeconds: CACHE,
                  inactiveCacheSeconds: 1,
                  maxCallsPerSecond: CALLS_PER_SECOND,
                },
              },
            ],
          },
        },
        clock,
      ),
      (created) => created.useLogger(logger),
    );
    await app.listen(0, '127.0.0.1');
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    events = [];
    const bus = app.get(SecurityEventBus);
    const emit = bus.emit.bind(bus);
    jest.spyOn(bus, 'emit').mockImplementation((event) => {
      events.push(event);
      emit(event);
    });
  }, 60_000);

  // Past every cached result and with a full call budget: each test starts from a clean state.
  beforeEach(() => clock.advance(CACHE + 1));

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await harness.stop();
  });

  it('accepts an opaque client-credentials token by introspection: a client principal with scopes and mapped roles', async () => {
    const token = await ccToken();
    expect(token).not.toContain('.');
    const response = await call('me', token);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: 'service-a',
      authMethod: 'oidc',
      roles: ['user'],
      scopes: ['orders:read'],
      issuer: issuers.main,
      clientId: 'service-a',
      subjectType: 'client',
    });
    expect((await call('orders', token)).status).toBe(200);
    expect((await call('orders-write', token)).status).toBe(403);
    // The API authenticated its calls with client_secret_basic.
    expect((await harness.stats('main')).introspectionSchemes).toEqual(['Basic']);
  });

  it('accepts an opaque user token (authorization code + PKCE): a user principal, roles on the hierarchy', async () => {
    const alice = await authorizationCodeToken(issuers.main as string, 'alice', API, 'orders:read');
    expect(alice).not.toContain('.');
    expect((await call('me', alice)).body).toMatchObject({
      id: 'alice',
      clientId: 'spa',
      subjectType: 'user',
      roles: ['manager'],
    });
    expect((await call('manage', alice)).status).toBe(200);
    const bob = await authorizationCodeToken(issuers.main as string, 'bob', API, 'orders:read');
    expect((await call('manage', bob)).status).toBe(403);
  });

  it('introspects a token once for 30 parallel requests (single flight), then serves it from the cache', async () => {
    const token = await ccToken();
    const before = await introspections();
    const statuses = await burst(30, 30, () => status(token));
    expect(statuses).toEqual(Array(30).fill(200));
    expect(await introspections()).toBe(before + 1);
    expect(await burst(30, 30, () => status(token))).toEqual(Array(30).fill(200));
    expect(await introspections()).toBe(before + 1);
  });

  it('refuses a token revoked at the provider (401) once the cache window (the revocation latency) has passed', async () => {
    const token = await ccToken();
    expect(await status(token)).toBe(200);
    const before = await introspections();
    await revokeToken(issuers.main as string, token);
    // Within cacheSeconds the cached result still stands: this is the documented latency.
    expect(await burst(30, 30, () => status(token))).toEqual(Array(30).fill(200));
    expect(await introspections()).toBe(before);
    clock.advance(CACHE);
    expect(await burst(30, 30, () => status(token))).toEqual(Array(30).fill(401));
    expect(lastFailure()).toMatchObject({ reason: 'inactive', details: { authMethod: 'oidc', issuer: issuers.main } });
    // One call told the API; the inactive answer is cached too.
    expect(await introspections()).toBe(before + 1);
    expect(await status(token)).toBe(401);
    expect(await introspections()).toBe(before + 1);
  });

  it('refuses without a cache window a token revoked before its first use (401)', async () => {
    const token = await ccToken();
    await revokeToken(issuers.main as string, token);
    expect(await burst(30, 30, () => status(token))).toEqual(Array(30).fill(401));
    expect(lastFailure()?.reason).toBe('inactive');
  });

  it('refuses a real opaque token issued for another audience (401), and does not ask again for it', async () => {
    const token = await ccToken('orders:read', OTHER_API);
    expect((await call('me', token)).status).toBe(401);
    expect(lastFailure()?.reason).toBe('wrong_audience');
    const before = await introspections();
    expect(await burst(30, 30, () => status(token))).toEqual(Array(30).fill(401));
    expect(await introspections()).toBe(before);
  });

  it('bounds the introspection calls of 1,000 requests with random opaque tokens by the call budget', async () => {
    const good = await ccToken();
    expect(await status(good)).toBe(200);
    const before = await introspections();
    const statuses = await burst(1000, 50, () => status(randomBytes(32).toString('base64url')));
    const calls = (await introspections()) - before;
    // The clock stands still: the budget of one second is all there is to spend.
    expect(calls).toBeLessThanOrEqual(CALLS_PER_SECOND);
    expect(calls).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 401)).toHaveLength(calls);
    // Past the budget: 503, never a 200.
    expect(statuses.filter((s) => s === 503)).toHaveLength(1000 - calls);
    expect(failures().at(-1)?.reason).toBe('introspection_unavailable');
    // A token already introspected needs no call: it keeps working during the flood.
    expect(await status(good)).toBe(200);
  });

  it('fails closed with 503 (never accepts) while the introspection endpoint is down; cached tokens keep working', async () => {
    const cached = await ccToken();
    expect(await status(cached)).toBe(200);
    const fresh = await ccToken();
    await harness.introspectionMode('main', 'down');
    try {
      const response = await call('me', fresh);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.body.code).toBe('ERR_STORE_UNAVAILABLE');
      expect(lastFailure()).toMatchObject({
        reason: 'introspection_unavailable',
        details: { authMethod: 'oidc', issuer: issuers.main },
      });
      expect(await status(cached)).toBe(200);
    } finally {
      await harness.introspectionMode('main', 'serve');
    }
    // A failure is not cached: the next request asks again and gets the real answer.
    expect(await status(fresh)).toBe(200);
  });

  it('leaves JWTs to signature verification: a JWT goes to the JWT path, never to introspection', async () => {
    const before = await introspections();
    const statuses = await burst(30, 30, () => status(`${randomBytes(8).toString('base64url')}.e30.c2ln`));
    expect(statuses).toEqual(Array(30).fill(401));
    expect(await introspections()).toBe(before);
  });

  it('runs the rate-limit pre-check before introspecting: over the limit, 429 and no call to the provider', async () => {
    const limited = await createApp(
      kind,
      identityProviderApp(
        {
          rateLimit: { tiers: { default: '5/60s' } },
          jwt: {
            trustedIssuers: [
              {
                issuer: issuers.main as string,
                audience: API,
                introspection: { clientId: INTROSPECTION_CLIENT.client_id, clientSecret: SECRET },
              },
            ],
          },
        },
        clock,
      ),
    );
    try {
      const send = async () =>
        (
          await request(limited.getHttpServer())
            .get('/api/idp/me')
            .set('Authorization', `Bearer ${randomBytes(32).toString('base64url')}`)
        ).status;
      const before = await introspections();
      // The limit spent one request at a time: each of these was introspected (and refused).
      for (let i = 0; i < 5; i += 1) expect(await send()).toBe(401);
      expect(await introspections()).toBe(before + 5);
      // Over the limit, the pre-check answers before any call to the provider.
      expect(await burst(30, 30, send)).toEqual(Array(30).fill(429));
      expect(await introspections()).toBe(before + 5);
    } finally {
      await limited.close();
    }
  });

  it('binds an introspected DPoP token (cnf.jkt) to its key: a proof of that key, never as Bearer', async () => {
    const key = await DpopKey.generate();
    const tokenEndpoint = `${issuers.main}/token`;
    const issued = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { dpop: await key.proof({ method: 'POST', url: tokenEndpoint }) },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'service-a',
        client_secret: 'service-a-secret-0123456789abcdef0123456789',
        resource: API,
        scope: 'orders:read',
      }),
    });
    const { access_token: token, token_type: tokenType } = (await issued.json()) as {
      access_token: string;
      token_type: string;
    };
    expect(tokenType).toBe('DPoP');
    expect(token).not.toContain('.');
    const bound = await createApp(
      kind,
      dpopAppMetadata({
        trustedIssuers: [
          {
            issuer: issuers.main as string,
            audience: API,
            introspection: { clientId: INTROSPECTION_CLIENT.client_id, clientSecret: SECRET },
          },
        ],
      }),
    );
    try {
      const only = '/api/dpop/only';
      const send = (headers: Record<string, string>) =>
        request(bound.getHttpServer()).get(only).set('Host', DPOP_HOST).set(headers);
      const proofFor = (signer: DpopKey) =>
        signer.proof({ method: 'GET', url: `${DPOP_ORIGIN}${only}`, accessToken: token });
      const accepted = await send({ Authorization: `DPoP ${token}`, DPoP: await proofFor(key) });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ id: 'service-a', authMethod: 'oidc', keyThumbprint: key.thumbprint });
      expectProblem(await send({ Authorization: `Bearer ${token}` }), 401, ErrorCode.UNAUTHENTICATED);
      expectProblem(await send({ Authorization: `DPoP ${token}` }), 401, ErrorCode.DPOP_PROOF_INVALID);
      const thief = await DpopKey.generate();
      expectProblem(
        await send({ Authorization: `DPoP ${token}`, DPoP: await proofFor(thief) }),
        401,
        ErrorCode.DPOP_PROOF_INVALID,
      );
    } finally {
      await bound.close();
    }
  });

  it('never puts the client secret or a token in a log line, an event or a response', async () => {
    const token = await ccToken();
    await status(token);
    await revokeToken(issuers.main as string, token);
    clock.advance(CACHE + 1);
    await status(token);
    await harness.introspectionMode('main', 'down');
    await status(await ccToken()).finally(() => harness.introspectionMode('main', 'serve'));
    expect(logger.lines.length).toBeGreaterThan(0);
    const everything = [...logger.lines, JSON.stringify(events), ...bodies].join('\n');
    const basic = Buffer.from(`${INTROSPECTION_CLIENT.client_id}:${SECRET}`).toString('base64');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(basic);
    expect(everything).not.toContain(token);
  });
});

describe('opaque access tokens: boot checks against oidc-provider', () => {
  const harness = new OidcProviderHarness();
  let issuers: Record<string, string>;

  beforeAll(async () => {
    const [main, jwtOnly] = await Promise.all([rsaKey('main-1'), rsaKey('jwt-1')]);
    issuers = await harness.start([opaqueSpec('main', [main.jwk], true), opaqueSpec('jwt', [jwtOnly.jwk], false)]);
  }, 60_000);

  afterAll(() => harness.stop());

  const boot = (issuer: string, introspection: Record<string, unknown>) =>
    createApp(
      'express',
      identityProviderApp(
        { jwt: { trustedIssuers: [{ issuer, audience: API, introspection: introspection as never }] } },
        new TestClock(),
      ),
    );

  it('stops the start when introspection is configured for a provider whose metadata has no introspection endpoint', async () => {
    const error = await boot(issuers.jwt as string, { clientId: 'orders-api', clientSecret: SECRET }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    expect((error as ApiSecurityConfigError).code).toBe(ConfigErrorCode.INVALID_OPTION);
    expect((error as Error).message).toContain('no valid introspection_endpoint');
    expect((error as Error).message).not.toContain(SECRET);
  });

  it.each([
    ['a missing secret', { clientId: 'orders-api' }, 'clientSecret is required'],
    ['cacheSeconds 0', { clientId: 'orders-api', clientSecret: SECRET, cacheSeconds: 0 }, 'cacheSeconds'],
    [
      'cacheSeconds past the bound',
      { clientId: 'orders-api', clientSecret: SECRET, cacheSeconds: 301 },
      'cacheSeconds',
    ],
  ])('refuses %s with a coded boot error', async (_name, introspection, message) => {
    const error = await boot(issuers.main as string, introspection).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    expect((error as ApiSecurityConfigError).code).toBe(ConfigErrorCode.INVALID_OPTION);
    expect((error as Error).message).toContain(message);
  });
});
