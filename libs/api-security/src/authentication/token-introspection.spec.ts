import { resolveApiSecurityOptions } from '../api-security.options';
import { JwtRefusal } from './jwt-refusal';
import type { ResolvedTrustedIssuer } from './trusted-issuer.options';
import { TokenIntrospector, type FormPoster } from './token-introspection';

const ISSUER = 'https://idp.example.com/';
const ENDPOINT = `${ISSUER}oauth/introspect`;
const SECRET = 'introspection-secret-0123456789abcdef';

function issuer(introspection: Record<string, unknown> = {}): ResolvedTrustedIssuer {
  const options = resolveApiSecurityOptions({
    jwt: {
      trustedIssuers: [
        {
          issuer: ISSUER,
          audience: 'orders-api',
          introspection: { clientId: 'orders-api', clientSecret: SECRET, cacheSeconds: 30, ...introspection },
        },
      ],
    },
  });
  return options.jwt.trustedIssuers[0] as ResolvedTrustedIssuer;
}

/** A provider the test scripts: answers per token, counts calls, answers after a turn of the loop. */
class FakeProvider {
  answers = new Map<string, { status: number; json: unknown }>();
  calls: { url: string; token: string | null; authorization: string | undefined }[] = [];
  down = false;
  readonly post: FormPoster = async (url, form, headers) => {
    this.calls.push({ url, token: form.get('token'), authorization: headers.authorization });
    await new Promise((resolve) => setImmediate(resolve));
    if (this.down) throw new Error('ECONNREFUSED');
    return this.answers.get(form.get('token') as string) ?? { status: 200, json: { active: false } };
  };
}

const NOW = 1_800_000_000_000;
const seconds = (ms: number) => Math.floor(ms / 1000);

function setup(introspection: Record<string, unknown> = {}) {
  const provider = new FakeProvider();
  const clock = { now: NOW };
  const problems: string[] = [];
  const introspector = new TokenIntrospector(
    issuer(introspection),
    async () => ENDPOINT,
    provider.post,
    () => clock.now,
    0,
    (message) => problems.push(message),
  );
  const active = (token: string, claims: Record<string, unknown> = {}) =>
    provider.answers.set(token, {
      status: 200,
      json: {
        active: true,
        iss: ISSUER,
        aud: 'orders-api',
        client_id: 'web',
        sub: 'user-1',
        exp: seconds(clock.now) + 3600,
        token_type: 'Bearer',
        ...claims,
      },
    });
  return { provider, clock, problems, introspector, active };
}

const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) =>
      error instanceof JwtRefusal ? `${error.reason}${error.claim ? `:${error.claim}` : ''}` : String(error),
  );

describe('TokenIntrospector', () => {
  it('posts the token to the endpoint with client_secret_basic and returns the active claims', async () => {
    const { provider, introspector, active } = setup();
    active('tok-1', { scope: 'orders:read' });
    await expect(introspector.introspect('tok-1')).resolves.toMatchObject({ sub: 'user-1', scope: 'orders:read' });
    expect(provider.calls).toEqual([
      {
        url: ENDPOINT,
        token: 'tok-1',
        authorization: `Basic ${Buffer.from(`orders-api:${SECRET}`).toString('base64')}`,
      },
    ]);
  });

  it('reuses an active result for cacheSeconds, never past exp', async () => {
    const { provider, clock, introspector, active } = setup({ cacheSeconds: 30 });
    active('long');
    active('short', { exp: seconds(NOW) + 10 });
    await introspector.introspect('long');
    await introspector.introspect('short');
    clock.now += 9_000;
    expect(introspector.cached('long')).toBeDefined();
    expect(introspector.cached('short')).toBeDefined();
    clock.now += 1_000;
    expect(introspector.cached('short')).toBeUndefined();
    expect(await reasonOf(introspector.introspect('short'))).toBe('expired');
    clock.now += 20_000;
    expect(introspector.cached('long')).toBeUndefined();
    await introspector.introspect('long');
    expect(provider.calls.map((c) => c.token)).toEqual(['long', 'short', 'short', 'long']);
  });

  it('caches an inactive answer for inactiveCacheSeconds', async () => {
    const { provider, clock, introspector } = setup({ inactiveCacheSeconds: 5 });
    expect(await reasonOf(introspector.introspect('revoked'))).toBe('inactive');
    expect(await reasonOf(introspector.introspect('revoked'))).toBe('inactive');
    expect(provider.calls).toHaveLength(1);
    clock.now += 5_000;
    expect(await reasonOf(introspector.introspect('revoked'))).toBe('inactive');
    expect(provider.calls).toHaveLength(2);
  });

  it('makes one call for many concurrent requests with the same token (single flight)', async () => {
    const { provider, introspector, active } = setup();
    active('burst');
    const results = await Promise.all(Array.from({ length: 50 }, () => introspector.introspect('burst')));
    expect(results).toHaveLength(50);
    expect(provider.calls).toHaveLength(1);
  });

  it('spends at most maxCallsPerSecond calls per second: past it, introspection_unavailable', async () => {
    const { provider, clock, introspector } = setup({ maxCallsPerSecond: 10 });
    const reasons = await Promise.all(
      Array.from({ length: 100 }, (_, i) => reasonOf(introspector.introspect(`g${i}`))),
    );
    expect(provider.calls).toHaveLength(10);
    expect(reasons.filter((r) => r === 'inactive')).toHaveLength(10);
    expect(reasons.filter((r) => r === 'introspection_unavailable:rate')).toHaveLength(90);
    expect(introspector.stats).toMatchObject({ calls: 10, throttled: 90 });
    clock.now += 500;
    await Promise.all(Array.from({ length: 100 }, (_, i) => reasonOf(introspector.introspect(`h${i}`))));
    expect(provider.calls).toHaveLength(15);
  });

  it('fails closed when the provider is down or answers an error, and does not cache the failure', async () => {
    const { provider, problems, introspector, active } = setup();
    active('opaque-Zq81');
    provider.down = true;
    expect(await reasonOf(introspector.introspect('opaque-Zq81'))).toBe('introspection_unavailable');
    provider.down = false;
    provider.answers.set('bad', { status: 401, json: { error: 'invalid_client' } });
    expect(await reasonOf(introspector.introspect('bad'))).toBe('introspection_unavailable');
    provider.answers.set('html', { status: 200, json: undefined });
    expect(await reasonOf(introspector.introspect('html'))).toBe('introspection_unavailable');
    expect(await reasonOf(introspector.introspect('opaque-Zq81'))).toBe('accepted');
    expect(problems.join('\n')).toContain('check introspection.clientId and clientSecret');
    expect(problems.join('\n')).not.toContain(SECRET);
    expect(problems.join('\n')).not.toContain('opaque-Zq81');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['active as a string', { active: 'true' }, 'inactive'],
    ['no exp', { exp: undefined }, 'invalid_claims:exp'],
    ['an exp in the past', { exp: seconds(NOW) - 1 }, 'expired'],
    ['an nbf in the future', { nbf: seconds(NOW) + 60 }, 'not_yet_valid'],
    ['another issuer', { iss: 'https://evil.example.com/' }, 'wrong_issuer'],
    ['another audience', { aud: 'billing-api' }, 'wrong_audience'],
    ['a refresh token', { token_type: 'refresh_token' }, 'wrong_typ'],
  ])('refuses an answer with %s', async (_name, claims, reason) => {
    const { introspector, active } = setup();
    active('tok', claims);
    expect(await reasonOf(introspector.introspect('tok'))).toBe(reason);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no aud or iss', { aud: undefined, iss: undefined }],
    ['aud as a list', { aud: ['billing-api', 'orders-api'] }],
    ['token_type DPoP', { token_type: 'DPoP' }],
    ['no token_type', { token_type: undefined }],
  ])('accepts an answer with %s', async (_name, claims) => {
    const { introspector, active } = setup();
    active('tok', claims);
    expect(await reasonOf(introspector.introspect('tok'))).toBe('accepted');
  });
});
