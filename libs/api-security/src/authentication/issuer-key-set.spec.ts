import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import { IssuerKeySet, IssuerMetadataError, metadataUrls, type JsonFetcher } from './issuer-key-set';
import { JwtRefusal } from './jwt-refusal';
import type { ResolvedTrustedIssuer } from './trusted-issuer.options';

const ISSUER = 'https://idp.example.com/realms/main';
const JWKS_URI = 'https://idp.example.com/realms/main/protocol/openid-connect/certs';

const config = (overrides: Partial<ResolvedTrustedIssuer> = {}): ResolvedTrustedIssuer => ({
  issuer: ISSUER,
  audience: 'api',
  algorithms: ['RS256'],
  scopeClaim: 'scope',
  clientIdClaim: 'client_id',
  tokenIdClaim: 'jti',
  requireAccessTokenType: true,
  jwksCacheSeconds: 600,
  jwksCooldownSeconds: 30,
  maxStaleSeconds: 3600,
  loopback: false,
  ...overrides,
});

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const jwkOf = async (key: KeyObject, kid: string, extra: Partial<JWK> = {}): Promise<JWK> => ({
  ...(await exportJWK(key)),
  kid,
  use: 'sig',
  ...extra,
});

/** A provider whose metadata and key set the test changes; counts fetches. */
class FakeProvider {
  keys: JWK[] = [];
  metadata: Record<string, unknown> = { issuer: ISSUER, jwks_uri: JWKS_URI };
  up = true;
  jwksFetches = 0;
  urls: string[] = [];
  readonly fetch: JsonFetcher = async (url) => {
    this.urls.push(url);
    // Answer after a turn of the event loop, as a network would, so parallel callers overlap.
    await new Promise((resolve) => setImmediate(resolve));
    if (url === JWKS_URI) {
      this.jwksFetches += 1;
      if (!this.up) throw new Error('503');
      return { keys: this.keys };
    }
    if (url === `${ISSUER}/.well-known/openid-configuration`) return this.metadata;
    throw new Error('404');
  };
}

const reasonOf = async (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof JwtRefusal ? error.reason : String(error)),
  );

describe('IssuerKeySet', () => {
  let now: number;
  let provider: FakeProvider;
  const set = (overrides: Partial<ResolvedTrustedIssuer> = {}) =>
    new IssuerKeySet(config(overrides), provider.fetch, () => now);

  beforeEach(() => {
    now = Date.parse('2030-01-01T00:00:00Z');
    provider = new FakeProvider();
  });

  it('finds the key set through discovery and verifies with it', async () => {
    const key = rsa();
    provider.keys = [await jwkOf(key, 'k1')];
    const keys = set();
    const found = await keys.key('k1', 'RS256');
    expect(found.equals(key)).toBe(true);
    expect(provider.urls).toEqual([`${ISSUER}/.well-known/openid-configuration`, JWKS_URI]);
  });

  it('places the RFC 8414 well-known path between the host and the issuer path', () => {
    expect(metadataUrls('https://as.example.com/tenant/')).toEqual([
      'https://as.example.com/tenant/.well-known/openid-configuration',
      'https://as.example.com/.well-known/oauth-authorization-server/tenant',
    ]);
  });

  it('refuses metadata that names another issuer, even by a trailing slash', async () => {
    provider.metadata = { issuer: `${ISSUER}/`, jwks_uri: JWKS_URI };
    provider.keys = [await jwkOf(rsa(), 'k1')];
    await expect(set().discover()).rejects.toThrow(IssuerMetadataError);
    expect(await reasonOf(set().key('k1', 'RS256'))).toBe('jwks_unavailable');
    expect(provider.jwksFetches).toBe(0);
  });

  describe('introspection endpoint', () => {
    const introspection = {
      clientId: 'api',
      cacheSeconds: 30,
      inactiveCacheSeconds: 5,
      maxCallsPerSecond: 50,
      authorization: () => 'Basic x',
    };

    it("takes the metadata's introspection_endpoint on the issuer's origin", async () => {
      provider.metadata = { issuer: ISSUER, jwks_uri: JWKS_URI, introspection_endpoint: `${ISSUER}/introspect#x` };
      const keys = set({ introspection });
      await keys.discover();
      await expect(keys.introspectionEndpoint()).resolves.toBe(`${ISSUER}/introspect`);
    });

    it.each([
      ['another host', 'https://collector.example.net/introspect', /not on the issuer's origin/],
      ['another port', 'https://idp.example.com:8443/introspect', /not on the issuer's origin/],
      ['credentials in the URL', 'https://user:pw@idp.example.com/introspect', /not on the issuer's origin/],
      ['none at all', undefined, /no valid introspection_endpoint/],
    ])(
      'stops the start for an introspection_endpoint with %s: the client secret goes nowhere else',
      async (_n, url, message) => {
        provider.metadata = { issuer: ISSUER, jwks_uri: JWKS_URI, introspection_endpoint: url };
        const keys = set({ introspection });
        await expect(keys.discover()).rejects.toThrow(message);
        expect(await reasonOf(keys.introspectionEndpoint())).toBe('introspection_unavailable');
      },
    );

    it('reads metadata missed at boot at most once per cooldown, however many tokens wait', async () => {
      provider.metadata = { issuer: ISSUER, jwks_uri: JWKS_URI, introspection_endpoint: `${ISSUER}/introspect` };
      const keys = set({ introspection });
      let metadataReads = 0;
      const failing = new IssuerKeySet(
        config({ introspection }),
        async (url) => {
          metadataReads += 1;
          throw new Error(`down: ${url}`);
        },
        () => now,
      );
      const reasons = await Promise.all(Array.from({ length: 20 }, () => reasonOf(failing.introspectionEndpoint())));
      expect(reasons).toEqual(Array(20).fill('introspection_unavailable'));
      // Two metadata URLs tried once (OpenID, then RFC 8414), then the cooldown holds.
      expect(metadataReads).toBe(2);
      expect(await reasonOf(failing.introspectionEndpoint())).toBe('introspection_unavailable');
      expect(metadataReads).toBe(2);
      now += 30_000;
      await failing.introspectionEndpoint().catch(() => undefined);
      expect(metadataReads).toBe(4);
      await expect(keys.introspectionEndpoint()).resolves.toBe(`${ISSUER}/introspect`);
    });
  });

  it("never fetches a jwks_uri outside the issuer's origin", async () => {
    provider.metadata = { issuer: ISSUER, jwks_uri: 'https://169.254.169.254/latest/meta-data' };
    await expect(set().discover()).rejects.toThrow(/not on the issuer's origin/);
    expect(await reasonOf(set().key('k1', 'RS256'))).toBe('jwks_unavailable');
    expect(provider.urls.some((url) => url.includes('169.254'))).toBe(false);
  });

  it('1,000 parallel tokens with random kids cause one fetch per cooldown, never more', async () => {
    provider.keys = [await jwkOf(rsa(), 'k1')];
    const keys = set();
    await keys.key('k1', 'RS256');
    expect(provider.jwksFetches).toBe(1);
    const flood = () => Promise.all(Array.from({ length: 1000 }, (_, i) => reasonOf(keys.key(`random-${i}`, 'RS256'))));
    expect(new Set(await flood())).toEqual(new Set(['unknown_kid']));
    expect(provider.jwksFetches).toBe(1); // still within the cooldown of the first fetch
    now += 30_000;
    expect(new Set(await flood())).toEqual(new Set(['unknown_kid']));
    expect(provider.jwksFetches).toBe(2); // one single-flight refetch for the whole flood
    now += 29_000;
    await flood();
    expect(provider.jwksFetches).toBe(2);
  });

  it('30 parallel first tokens share one fetch (single flight)', async () => {
    provider.keys = [await jwkOf(rsa(), 'k1')];
    const keys = set();
    const found = await Promise.all(Array.from({ length: 30 }, () => keys.key('k1', 'RS256')));
    expect(found).toHaveLength(30);
    expect(provider.jwksFetches).toBe(1);
  });

  it('follows a rotation: a new kid is fetched after the cooldown, a removed key stops at the next refresh', async () => {
    const [k1, k2] = [rsa(), rsa()];
    provider.keys = [await jwkOf(k1, 'k1')];
    const keys = set();
    await keys.key('k1', 'RS256');
    provider.keys = [await jwkOf(k2, 'k2'), await jwkOf(k1, 'k1')];
    now += 30_000;
    expect((await keys.key('k2', 'RS256')).equals(k2)).toBe(true);
    provider.keys = [await jwkOf(k2, 'k2')];
    expect((await keys.key('k1', 'RS256')).equals(k1)).toBe(true); // cached until the next refresh
    now += 600_000;
    expect(await reasonOf(keys.key('k1', 'RS256'))).toBe('unknown_kid');
    expect((await keys.key('k2', 'RS256')).equals(k2)).toBe(true);
  });

  it('keeps the last good keys while the provider fails, up to maxStaleSeconds, then fails closed', async () => {
    provider.keys = [await jwkOf(rsa(), 'k1')];
    const keys = set({ jwksCacheSeconds: 600, maxStaleSeconds: 300 });
    await keys.key('k1', 'RS256');
    provider.up = false;
    now += 600_000;
    await expect(keys.key('k1', 'RS256')).resolves.toBeDefined(); // refresh failed: stale but bounded
    expect(provider.jwksFetches).toBe(2);
    now += 299_000;
    await expect(keys.key('k1', 'RS256')).resolves.toBeDefined();
    now += 1_000;
    expect(await reasonOf(keys.key('k1', 'RS256'))).toBe('jwks_unavailable');
    provider.up = true;
    now += 30_000;
    await expect(keys.key('k1', 'RS256')).resolves.toBeDefined();
  });

  it('uses a key only for an algorithm it fits and the issuer allows', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    provider.keys = [
      await jwkOf(ec, 'ec'),
      await jwkOf(small, 'small'),
      await jwkOf(rsa(), 'enc', { use: 'enc' }),
      await jwkOf(rsa(), 'ps', { alg: 'PS256' }),
      await jwkOf(rsa(), 'good'),
    ];
    const keys = set();
    expect(await reasonOf(keys.key('ec', 'RS256'))).toBe('unknown_kid');
    expect(await reasonOf(keys.key('small', 'RS256'))).toBe('unknown_kid');
    expect(await reasonOf(keys.key('enc', 'RS256'))).toBe('unknown_kid');
    expect(await reasonOf(keys.key('ps', 'RS256'))).toBe('unknown_kid');
    await expect(keys.key('good', 'RS256')).resolves.toBeDefined();
    expect(keys.stats.keys).toBe(1);
  });

  it('accepts a token without kid only when the set holds exactly one key of its algorithm', async () => {
    provider.keys = [await jwkOf(rsa(), 'k1')];
    const one = set();
    await expect(one.key(undefined, 'RS256')).resolves.toBeDefined();
    provider.keys = [await jwkOf(rsa(), 'k1'), await jwkOf(rsa(), 'k2')];
    const two = set();
    expect(await reasonOf(two.key(undefined, 'RS256'))).toBe('unknown_kid');
  });

  it('keeps only public members of a key set that leaks private ones', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    provider.keys = [{ ...(await exportJWK(pair.privateKey)), kid: 'k1' }];
    const key = await set().key('k1', 'RS256');
    expect(key.type).toBe('public');
  });
});
