import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, type JWTPayload } from 'jose';
import request from 'supertest';
import {
  ApiSecurityConfigError,
  ConfigErrorCode,
  SecurityEventBus,
  TokenService,
  type SecurityEvent,
} from '@api-security/nestjs';
import { ADAPTERS, createApp } from '../utils/create-app';
import { identityProviderApp, TestClock } from './identity-providers.fixture';
import {
  authorizationCodeToken,
  clientCredentialsToken,
  OidcProviderHarness,
  rsaKey,
  standardClients,
  type PrivateJwk,
} from './support/oidc-provider.harness';

const API = 'urn:orders-api';
const PARTNER_API = 'urn:partner-view';
const OTHER_API = 'urn:billing-api';
const COOLDOWN = 30;
const CACHE = 60;
const MAX_STALE = 120;

type Key = Awaited<ReturnType<typeof rsaKey>>;

/** Sends `count` requests, `width` at a time, and returns their statuses. */
async function burst(count: number, width: number, send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  for (let start = 0; start < count; start += width) {
    const batch = Array.from({ length: Math.min(width, count - start) }, (_, j) => send(start + j));
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

describe.each(ADAPTERS)('external identity providers: oidc-provider (%s)', (kind) => {
  const harness = new OidcProviderHarness();
  const clock = new TestClock();
  let issuers: Record<string, string>;
  let app: INestApplication;
  let events: SecurityEvent[];
  let main1: Key;
  let main2: Key;
  let partner: Key;
  let rogue: Key;

  let baseUrl: string;
  /** One request over a kept-alive connection (global fetch), for the floods. */
  const status = async (token: string): Promise<number> => {
    const response = await fetch(`${baseUrl}/api/idp/me`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    return response.status;
  };
  const call = (path: string, token: string) =>
    request(app.getHttpServer()).get(`/api/idp/${path}`).set('Authorization', `Bearer ${token}`);
  const lastFailure = () => events.filter((e) => e.type === 'authentication.failure').at(-1)?.reason;

  /** A token signed by `key` with RFC 9068 claims of the main issuer, overridable. */
  const forge = (key: Key, claims: JWTPayload = {}, kid: string = key.jwk.kid) => {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({
      iss: issuers.main,
      aud: API,
      sub: 'service-a',
      client_id: 'service-a',
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
      scope: 'orders:read',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .sign(key.privateKey);
  };

  beforeAll(async () => {
    [main1, main2, partner, rogue] = await Promise.all([
      rsaKey('main-1'),
      rsaKey('main-2'),
      rsaKey('partner-1'),
      rsaKey('rogue-1'),
    ]);
    const spec = (name: string, keys: PrivateJwk[], resources: string[]) => ({
      name,
      keys,
      clients: standardClients(),
      resourceServers: Object.fromEntries(resources.map((r) => [r, { scope: 'orders:read orders:write' }])),
      defaultResource: resources[0] as string,
      roles: { alice: ['orders-manager', 'offline'], bob: ['orders-user'], 'service-a': ['orders-user'] },
    });
    issuers = await harness.start([
      spec('main', [main1.jwk], [API, OTHER_API]),
      spec('partner', [partner.jwk], [PARTNER_API]),
      spec('rogue', [rogue.jwk], [API]),
    ]);
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
                jwksCooldownSeconds: COOLDOWN,
                jwksCacheSeconds: CACHE,
                maxStaleSeconds: MAX_STALE,
              },
              { issuer: issuers.partner as string, audience: PARTNER_API, rolesClaim: 'realm_access.roles' },
            ],
          },
        },
        clock,
      ),
    );
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
    events = [];
    const bus = app.get(SecurityEventBus);
    const emit = bus.emit.bind(bus);
    jest.spyOn(bus, 'emit').mockImplementation((event) => {
      events.push(event);
      emit(event);
    });
  }, 60_000);

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await harness.stop();
  });

  it('accepts a client-credentials access token (200) and says the caller is a client', async () => {
    const token = await clientCredentialsToken(issuers.main as string, API, 'orders:read');
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const response = await call('me', token).expect(200);
    expect(response.body).toEqual({
      id: 'service-a',
      authMethod: 'oidc',
      roles: ['user'],
      scopes: ['orders:read'],
      issuer: issuers.main,
      clientId: 'service-a',
      subjectType: 'client',
    });
  });

  it('accepts a user access token from authorization code + PKCE, roles mapped onto the hierarchy', async () => {
    const alice = await authorizationCodeToken(issuers.main as string, 'alice', API, 'orders:read');
    const me = await call('me', alice).expect(200);
    expect(me.body).toMatchObject({ id: 'alice', clientId: 'spa', subjectType: 'user', roles: ['manager'] });
    await call('manage', alice).expect(200);
    const bob = await authorizationCodeToken(issuers.main as string, 'bob', API, 'orders:read');
    expect((await call('me', bob).expect(200)).body.roles).toEqual(['user']);
    await call('manage', bob).expect(403);
  });

  it('enforces @Scopes with the token scope claim', async () => {
    const readOnly = await clientCredentialsToken(issuers.main as string, API, 'orders:read');
    await call('orders', readOnly).expect(200);
    await call('orders-write', readOnly).expect(403);
    const both = await clientCredentialsToken(issuers.main as string, API, 'orders:read orders:write');
    await call('orders-write', both).expect(200);
  });

  it('refuses an expired token (401)', async () => {
    const now = Math.floor(clock.now() / 1000);
    await call('me', await forge(main1, { iat: now - 600, exp: now - 60 })).expect(401);
    expect(lastFailure()).toBe('expired');
    await call('me', await forge(main1)).expect(200);
  });

  it('refuses a real token of the trusted issuer for another audience (401)', async () => {
    const token = await clientCredentialsToken(issuers.main as string, OTHER_API, 'orders:read');
    await call('me', token).expect(401);
    expect(lastFailure()).toBe('wrong_audience');
    const event = events.filter((e) => e.type === 'authentication.failure').at(-1);
    expect(event?.details).toEqual({ authMethod: 'oidc', issuer: issuers.main });
  });

  it("refuses tokens claiming one trusted issuer but signed with another trusted provider's key (401)", async () => {
    // The partner's real tokens are good for the partner's own audience.
    const partnerToken = await clientCredentialsToken(issuers.partner as string, PARTNER_API, 'orders:read');
    expect((await call('me', partnerToken).expect(200)).body.issuer).toBe(issuers.partner);
    // Its key never verifies a token that claims the main issuer, whatever the kid says.
    await call('me', await forge(partner, {}, 'partner-1')).expect(401);
    expect(lastFailure()).toBe('unknown_kid');
    await call('me', await forge(partner, {}, 'main-1')).expect(401);
    expect(lastFailure()).toBe('bad_signature');
    // A partner token relabelled for the main API's audience is still the partner's: wrong audience.
    await call('me', await forge(partner, { iss: issuers.partner, aud: API }, 'partner-1')).expect(401);
  });

  it('refuses real tokens of an issuer that is not trusted (401)', async () => {
    const token = await clientCredentialsToken(issuers.rogue as string, API, 'orders:read');
    await call('me', token).expect(401);
    // Routed to the library's own keys (its iss is not trusted), never to the rogue's URLs.
    expect(lastFailure()).toBe('alg_not_allowed');
    expect(await harness.stats('rogue')).toMatchObject({ jwksFetches: 0, metadataFetches: 0 });
  });

  it("keeps the library's own tokens working beside the trusted issuers", async () => {
    const tokens = app.get(TokenService);
    const own = await tokens.issueAccessToken({ sub: 'local-user', role: 'user' });
    const response = await call('me', own.token).expect(200);
    expect(response.body).toMatchObject({ id: 'local-user', authMethod: 'jwt', issuer: null, subjectType: null });
  });

  it('1,000 requests with random kids cause at most one key-set fetch per cooldown', async () => {
    clock.advance(COOLDOWN);
    const before = (await harness.stats('main')).jwksFetches;
    // 2 x 1,000 tokens, each with its own random kid, signed with the issuer's real key.
    const forged = await Promise.all(Array.from({ length: 2000 }, () => forge(main1, {}, randomUUID())));
    const statuses = await burst(1000, 50, (i) => status(forged[i] as string));
    expect(statuses.every((status) => status === 401)).toBe(true);
    const afterFirst = (await harness.stats('main')).jwksFetches;
    // The cooldown has passed: exactly one refetch for the whole flood, not one per token.
    expect(afterFirst - before).toBe(1);
    clock.advance(COOLDOWN);
    const second = await burst(1000, 50, (i) => status(forged[1000 + i] as string));
    expect(second.every((code) => code === 401)).toBe(true);
    const afterSecond = (await harness.stats('main')).jwksFetches;
    expect(afterSecond - afterFirst).toBe(1);
    // Genuine tokens kept working during the flood.
    await call('me', await forge(main1)).expect(200);
  }, 120_000);

  it('follows a key rotation at the provider while a client is calling the API, without a restart', async () => {
    // The client calls the API in a loop with its current token and renews it from the provider
    // when told to, as a real client does before expiry; not one of its calls may fail.
    let current = await clientCredentialsToken(issuers.main as string, API, 'orders:read');
    const oldToken = current;
    expect(decodeProtectedHeader(oldToken).kid).toBe('main-1');
    let calling = true;
    const seen: number[] = [];
    const client = (async () => {
      while (calling) seen.push(await status(current));
    })();
    /** Waits until the client has made `count` more calls (progress, not time). */
    const moreCalls = async (count: number) => {
      const target = seen.length + count;
      while (seen.length < target) await new Promise((resolve) => setImmediate(resolve));
    };

    try {
      await moreCalls(5);
      // Step 1: the provider publishes the new key first (it signs) and keeps the old one.
      await harness.rotate('main', [main2.jwk, main1.jwk]);
      const newToken = await clientCredentialsToken(issuers.main as string, API, 'orders:read');
      expect(decodeProtectedHeader(newToken).kid).toBe('main-2');
      clock.advance(COOLDOWN);
      current = newToken; // the client renews: the unknown kid triggers one refetch
      await moreCalls(5);
      await call('me', oldToken).expect(200); // tokens of the old key stay valid while it is published

      // Step 2: the old key is removed; it stops verifying at the next refresh of the key set.
      await harness.rotate('main', [main2.jwk]);
      await moreCalls(5);
      clock.advance(CACHE);
      await moreCalls(5);
      await call('me', oldToken).expect(401);
      expect(lastFailure()).toBe('unknown_kid');
      await moreCalls(5);
    } finally {
      calling = false;
      await client;
    }
    expect(seen.length).toBeGreaterThanOrEqual(25);
    expect(seen.filter((code) => code !== 200)).toEqual([]);
  });

  it('keeps the last good keys while the key set cannot be served, for a bounded time, then fails closed', async () => {
    const token = await clientCredentialsToken(issuers.main as string, API, 'orders:read');
    await call('me', token).expect(200);
    await harness.jwksMode('main', 'down');
    clock.advance(CACHE + 1);
    const failedBefore = (await harness.stats('main')).jwksFetches;
    await call('me', token).expect(200); // refresh failed: stale keys within maxStaleSeconds
    expect((await harness.stats('main')).jwksFetches).toBe(failedBefore + 1);
    clock.advance(MAX_STALE);
    await call('me', token).expect(401);
    expect(lastFailure()).toBe('jwks_unavailable');
    await harness.jwksMode('main', 'serve');
    clock.advance(COOLDOWN);
    await call('me', token).expect(200);
  });

  it.each<['huge' | 'redirect', string]>([
    ['huge', 'too_large'],
    ['redirect', 'too_many_redirects'],
  ])('refuses a %s key-set answer through the SSRF-safe client and keeps the last good keys', async (mode, refusal) => {
    const token = await clientCredentialsToken(issuers.main as string, API, 'orders:read');
    clock.advance(COOLDOWN);
    await call('me', token).expect(200);
    await harness.jwksMode('main', mode);
    try {
      clock.advance(CACHE);
      const before = events.length;
      await call('me', token).expect(200); // the refresh was refused: stale keys within the bound
      expect(events.slice(before).find((e) => e.type === 'outbound.refused')?.reason).toBe(refusal);
    } finally {
      await harness.jwksMode('main', 'serve');
    }
    clock.advance(COOLDOWN);
    await call('me', token).expect(200);
  });

  it('fetches keys only through the SSRF-safe client: an https issuer on a loopback address is refused', async () => {
    // Same listener, but configured as https: only plain-http loopback issuers (outside production)
    // open the loopback range; anything else meets the address policy of SafeHttpClient.
    const issuer = (issuers.main as string).replace('http://', 'https://');
    const other = await createApp(
      kind,
      identityProviderApp({ jwt: { trustedIssuers: [{ issuer, audience: API }] } }, clock),
    );
    const seen: SecurityEvent[] = [];
    const bus = other.get(SecurityEventBus);
    const emit = bus.emit.bind(bus);
    jest.spyOn(bus, 'emit').mockImplementation((event) => {
      seen.push(event);
      emit(event);
    });
    try {
      const before = await harness.stats('main');
      await request(other.getHttpServer())
        .get('/api/idp/me')
        .set('Authorization', `Bearer ${await forge(main1, { iss: issuer })}`)
        .expect(401);
      expect(seen.find((e) => e.type === 'authentication.failure')?.reason).toBe('jwks_unavailable');
      expect(seen.find((e) => e.type === 'outbound.refused')).toMatchObject({
        reason: 'address',
        details: { host: '127.0.0.1' },
      });
      expect(await harness.stats('main')).toEqual(before);
    } finally {
      await other.close();
    }
  });

  it('refuses to start when the provider metadata names another issuer (trailing slash)', async () => {
    const boot = createApp(
      kind,
      identityProviderApp({ jwt: { trustedIssuers: [{ issuer: `${issuers.main}/`, audience: API }] } }, clock),
    );
    await expect(boot).rejects.toThrow(ApiSecurityConfigError);
    await expect(boot).rejects.toMatchObject({ code: ConfigErrorCode.INVALID_OPTION });
  });
});
