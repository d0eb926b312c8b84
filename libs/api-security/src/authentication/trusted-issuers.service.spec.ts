import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { resolveApiSecurityOptions, type ApiSecurityModuleOptions } from '../api-security.options';
import type { SafeHttpClient } from '../outbound/safe-http.client';
import { JwtRefusal } from './jwt-refusal';
import type { TrustedIssuerOptions } from './trusted-issuer.options';
import { claimAt, TrustedIssuers } from './trusted-issuers.service';

const ISSUER = 'https://sso.example.com/realms/main';
const JWKS_URI = `${ISSUER}/protocol/openid-connect/certs`;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A SafeHttpClient stand-in that serves the issuer's metadata and key set, and records its options. */
function fakeHttp(jwks: () => Promise<unknown>) {
  const options: unknown[] = [];
  const http = {
    withOptions: (given: unknown) => {
      options.push(given);
      return {
        get: async (url: string) => {
          const body =
            url === `${ISSUER}/.well-known/openid-configuration`
              ? { issuer: ISSUER, jwks_uri: JWKS_URI }
              : await jwks();
          return { status: 200, text: () => JSON.stringify(body) };
        },
      };
    },
  };
  return { http: http as unknown as SafeHttpClient, options };
}

async function service(overrides: Partial<TrustedIssuerOptions> = {}, extra: ApiSecurityModuleOptions = {}) {
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const options = resolveApiSecurityOptions({
    ...extra,
    jwt: { trustedIssuers: [{ issuer: ISSUER, audience: 'orders-api', ...overrides }] },
  });
  const { http, options: clientOptions } = fakeHttp(async () => ({ keys: [jwk] }));
  return { trusted: new TrustedIssuers(options, http), clientOptions };
}

function sign(claims: JWTPayload = {}, header: Record<string, unknown> = {}, key: KeyObject = privateKey) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: 'orders-api',
    sub: 'user-1',
    client_id: 'web',
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1', ...header })
    .sign(key);
}

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) =>
      error instanceof JwtRefusal ? `${error.reason}${error.claim ? `:${error.claim}` : ''}` : String(error),
  );

describe('TrustedIssuers', () => {
  it('maps an RFC 9068 token to a principal: scopes, mapped roles, user or client', async () => {
    const { trusted } = await service({
      rolesClaim: 'realm_access.roles',
      roleMap: { 'orders-admin': 'admin', viewer: ['user'] },
    });
    const user = await trusted.verify(
      await sign({ scope: 'orders:read  orders:write', realm_access: { roles: ['orders-admin', 'unmapped'] } }),
      ISSUER,
    );
    expect(user).toMatchObject({
      id: 'user-1',
      authMethod: 'oidc',
      roles: ['admin'],
      scopes: ['orders:read', 'orders:write'],
      issuer: ISSUER,
      clientId: 'web',
      subjectType: 'user',
    });
    const client = await trusted.verify(await sign({ sub: 'web' }), ISSUER);
    expect(client).toMatchObject({ subjectType: 'client', roles: [], scopes: [] });
  });

  it('keeps a DPoP binding (cnf.jkt) of an external token, and refuses a binding it cannot check', async () => {
    const { trusted } = await service();
    const jkt = 'A'.repeat(43);
    await expect(trusted.verify(await sign({ cnf: { jkt } }), ISSUER)).resolves.toMatchObject({ keyThumbprint: jkt });
    await expect(trusted.verify(await sign({}), ISSUER)).resolves.not.toHaveProperty('keyThumbprint');
    expect(await reasonOf(trusted.verify(await sign({ cnf: { 'x5t#S256': 'abc' } }), ISSUER))).toBe(
      'invalid_claims:cnf',
    );
  });

  it('reads provider-specific claims: Auth0 permissions and namespaced roles, Entra azp and uti', async () => {
    const auth0 = await service({ scopeClaim: 'permissions', rolesClaim: 'https://example.com/roles' });
    const principal = await auth0.trusted.verify(
      await sign({ permissions: ['orders:read'], 'https://example.com/roles': ['manager'] }),
      ISSUER,
    );
    expect(principal).toMatchObject({ scopes: ['orders:read'], roles: ['manager'] });
    const entra = await service({
      clientIdClaim: 'azp',
      tokenIdClaim: 'uti',
      scopeClaim: 'scp',
      rolesClaim: 'roles',
      requireAccessTokenType: false,
    });
    const token = await sign(
      { azp: 'app-1', uti: 'u-1', scp: 'Orders.Read', roles: 'Orders.Admin', client_id: undefined, jti: undefined },
      { typ: 'JWT' },
    );
    expect(await entra.trusted.verify(token, ISSUER)).toMatchObject({
      clientId: 'app-1',
      tokenId: 'u-1',
      scopes: ['Orders.Read'],
      roles: ['Orders.Admin'],
    });
  });

  it.each<[string, () => Promise<string>, string]>([
    ['an ID token or other JWT (typ)', () => sign({}, { typ: 'JWT' }), 'wrong_typ'],
    ['HS256 with the public key as secret', async () => hmacWithPublicKey(), 'alg_not_allowed'],
    ['alg none', async () => unsigned(), 'alg_not_allowed'],
    ['a key URL in the header', () => sign({}, { jku: 'https://evil.example/jwks' }), 'forbidden_header:jku'],
    ['an embedded key', async () => sign({}, { jwk: await exportJWK(publicKey) }), 'forbidden_header:jwk'],
    ['another audience', () => sign({ aud: 'billing-api' }), 'wrong_audience'],
    ['no client_id', () => sign({ client_id: undefined }), 'invalid_claims:client_id'],
    ['no jti', () => sign({ jti: undefined }), 'invalid_claims:jti'],
    ['an iat in the future', () => sign({ iat: Math.floor(Date.now() / 1000) + 600 }), 'invalid_claims:iat'],
    ['roles of the wrong type', () => sign({ realm_access: { roles: [1] } }), 'invalid_claims:realm_access.roles'],
    [
      'another signer',
      () => sign({}, {}, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
      'bad_signature',
    ],
  ])('refuses %s', async (_name, token, reason) => {
    const { trusted } = await service({ rolesClaim: 'realm_access.roles' });
    expect(await reasonOf(trusted.verify(await token(), ISSUER))).toBe(reason);
  });

  it('fetches only through a client limited to the issuer: its host and port, https, no redirects, small JSON', async () => {
    const { clientOptions } = await service();
    expect(clientOptions).toEqual([
      expect.objectContaining({
        allowedHosts: ['sso.example.com'],
        allowedSchemes: ['https'],
        allowedPorts: [443],
        allowCidrs: [],
        maxRedirects: 0,
        maxResponseBytes: 262144,
        timeoutMs: 5000,
        allowedContentTypes: ['application/json', 'application/jwk-set+json'],
      }),
    ]);
  });

  it('finds claims by whole name first, then by dotted path through objects only', () => {
    const claims = { 'https://x.example/roles': ['a'], realm_access: { roles: ['b'] }, list: [{ roles: ['c'] }] };
    expect(claimAt(claims, 'https://x.example/roles')).toEqual(['a']);
    expect(claimAt(claims, 'realm_access.roles')).toEqual(['b']);
    expect(claimAt(claims, 'list.0.roles')).toBeUndefined();
    expect(claimAt(claims, 'realm_access.__proto__')).toBeUndefined();
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function unsigned(): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ iss: ISSUER, aud: 'orders-api', sub: 'u', iat: now, exp: now + 60 })}.`;
}

async function hmacWithPublicKey(): Promise<string> {
  const secret = new TextEncoder().encode(publicKey.export({ format: 'pem', type: 'spki' }).toString());
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: 'orders-api', sub: 'u', client_id: 'c', jti: 'j', iat: now, exp: now + 60 })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
    .sign(secret);
}

describe('TrustedIssuers: opaque tokens by introspection', () => {
  const SECRET = 'introspection-secret-0123456789abcdef';

  /** A provider whose introspection endpoint answers what the test sets, and records what it was sent. */
  function introspecting(answer: () => Record<string, unknown>) {
    const posts: { url: string; body: string; headers: Record<string, string> }[] = [];
    const client = {
      get: async () => ({
        status: 200,
        text: () =>
          JSON.stringify({ issuer: ISSUER, jwks_uri: JWKS_URI, introspection_endpoint: `${ISSUER}/introspect` }),
      }),
      request: async (url: string, init: { body: string; headers: Record<string, string> }) => {
        posts.push({ url, body: init.body, headers: init.headers });
        return { status: 200, text: () => JSON.stringify(answer()) };
      },
      withOptions: () => client,
    };
    const http = { withOptions: () => client } as unknown as SafeHttpClient;
    const options = resolveApiSecurityOptions({
      jwt: {
        trustedIssuers: [
          {
            issuer: ISSUER,
            audience: 'orders-api',
            rolesClaim: 'realm_access.roles',
            roleMap: { 'orders-admin': 'admin' },
            introspection: { clientId: 'orders-api', clientSecret: SECRET },
          },
        ],
      },
    });
    return { trusted: new TrustedIssuers(options, http), posts };
  }

  const exp = () => Math.floor(Date.now() / 1000) + 300;

  it('maps an active user token to a principal like a JWT of the issuer, DPoP binding included', async () => {
    const jkt = 'B'.repeat(43);
    const { trusted, posts } = introspecting(() => ({
      active: true,
      iss: ISSUER,
      aud: 'orders-api',
      sub: 'alice',
      client_id: 'web',
      jti: 'at-1',
      iat: exp() - 600,
      exp: exp(),
      scope: 'orders:read',
      realm_access: { roles: ['orders-admin', 'other'] },
      cnf: { jkt },
    }));
    expect(trusted.introspects).toBe(true);
    const principal = await trusted.introspect('opaque-abc');
    expect(principal).toMatchObject({
      id: 'alice',
      authMethod: 'oidc',
      roles: ['admin'],
      scopes: ['orders:read'],
      tokenId: 'at-1',
      issuer: ISSUER,
      clientId: 'web',
      subjectType: 'user',
      keyThumbprint: jkt,
    });
    expect(posts).toHaveLength(1);
    expect(posts[0]?.url).toBe(`${ISSUER}/introspect`);
    expect(posts[0]?.body).toBe('token=opaque-abc&token_type_hint=access_token');
    expect(posts[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`orders-api:${SECRET}`).toString('base64')}`);
    expect(trusted.cachedIntrospection('opaque-abc')).toBe(principal);
    expect(trusted.cachedIntrospection('opaque-other')).toBeUndefined();
  });

  it('takes a token without sub as its client, and its SHA-256 as its id when it has no jti', async () => {
    const { trusted } = introspecting(() => ({ active: true, client_id: 'service-a', exp: exp() }));
    const principal = await trusted.introspect('opaque-client');
    expect(principal).toMatchObject({ id: 'service-a', clientId: 'service-a', subjectType: 'client', roles: [] });
    expect(principal.tokenId).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(principal.tokenId).not.toContain('opaque-client');
    expect(principal).not.toHaveProperty('issuedAt');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['neither sub nor client_id', { sub: undefined, client_id: undefined }, 'invalid_claims:sub'],
    ['a binding it cannot check', { cnf: { 'x5t#S256': 'abc' } }, 'invalid_claims:cnf'],
    ['a single role as a string', { realm_access: { roles: 'orders-admin' } }, 'accepted'],
    ['an inactive answer', { active: false }, 'inactive'],
  ])('handles %s', async (_name, claims, reason) => {
    const { trusted } = introspecting(() => ({ active: true, sub: 'alice', client_id: 'web', exp: exp(), ...claims }));
    expect(await reasonOf(trusted.introspect('opaque-x'))).toBe(reason);
  });
});
