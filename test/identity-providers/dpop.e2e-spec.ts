import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ErrorCode, type DpopFailureReason, type SecurityEvent } from '@api-security/nestjs';
import {
  DPOP_ATTACKS,
  DpopKey,
  probeDpop,
  TokenForge,
  type DpopAttackContext,
  type DpopProofOptions,
} from '@api-security/nestjs/testing';
import { serverConfig } from '../fixtures/jwt.fixture';
import { ADAPTERS, createApp } from '../utils/create-app';
import { expectProblem } from '../utils/problem';
import { onSecurityEvent } from '../utils/security-events';
import { DPOP_HOST, DPOP_ORIGIN, dpopAppMetadata, dpopClient } from './dpop.fixture';
import { clockModule, TestClock } from './identity-providers.fixture';

const ONLY = '/api/dpop/only';
const ANY = '/api/dpop/any';
const DEFAULT_ALGS = 'algs="ES256 EdDSA Ed25519 PS256 RS256"';
/** Nothing about the verifier's internals may reach a client. */
const LEAKS = /jose|jwk|thumbprint|ath|htu|htm/i;

describe.each(ADAPTERS)('DPoP-bound access tokens over HTTP (%s)', (kind) => {
  const config = serverConfig('ES256');
  let app: INestApplication;
  let forge: TokenForge;
  let key: DpopKey;
  let events: SecurityEvent[] = [];

  const url = (path: string) => `${DPOP_ORIGIN}${path.split('?')[0]}`;
  const get = (path: string, headers: Record<string, string>) =>
    request(app.getHttpServer()).get(path).set('Host', DPOP_HOST).set(headers);
  const proof = (path: string, token: string, options: Partial<DpopProofOptions> = {}) =>
    key.proof({ method: 'GET', url: url(path), accessToken: token, ...options });
  const lastFailure = () => events.filter((event) => event.type === 'authentication.failure').at(-1);

  /** 401 problem details with the DPoP challenge, the recorded reason, and neither token nor proof anywhere. */
  function expectDpopRefusal(res: request.Response, reason: DpopFailureReason, secrets: readonly string[] = []): void {
    const proofError = !['dpop_token_not_bound', 'dpop_bound_token_as_bearer', 'dpop_required'].includes(reason);
    expectProblem(res, 401, proofError ? ErrorCode.DPOP_PROOF_INVALID : ErrorCode.UNAUTHENTICATED);
    expect(res.headers['www-authenticate']).toBe(
      `DPoP error="${proofError ? 'invalid_dpop_proof' : 'invalid_token'}", ${DEFAULT_ALGS}`,
    );
    expect(res.text).not.toMatch(LEAKS);
    expect(lastFailure()).toMatchObject({ reason, details: { authMethod: 'dpop' } });
    for (const secret of secrets) {
      // The signature stands for the whole token or proof (an unsigned proof has none: its claims then).
      const part = secret.split('.')[2] || secret.split('.')[1] || secret;
      expect(res.text).not.toContain(part);
      expect(JSON.stringify(events)).not.toContain(part);
    }
  }

  beforeAll(async () => {
    ({ forge, key } = await dpopClient(config.signingKey));
    app = await createApp(kind, dpopAppMetadata(config.jwt));
    onSecurityEvent(app, (event) => events.push(event));
  });
  beforeEach(() => {
    events = [];
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
  });

  describe('valid use', () => {
    it('accepts a bound token with a proof of its key, and the principal carries the thumbprint', async () => {
      const token = await forge.dpopBoundToken(key, { sub: 'user-a' });
      const res = await get(ONLY, { Authorization: `DPoP ${token}`, DPoP: await proof(ONLY, token) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: 'user-a', authMethod: 'jwt', keyThumbprint: key.thumbprint });
    });

    it.each([
      ['the lower-case scheme "dpop"', (t: string) => `dpop ${t}`],
      ['the upper-case scheme "DPOP"', (t: string) => `DPOP ${t}`],
    ])('accepts %s (RFC 9110 auth-scheme is case-insensitive)', async (_name, authorization) => {
      const token = await forge.dpopBoundToken(key);
      expect((await get(ONLY, { Authorization: authorization(token), DPoP: await proof(ONLY, token) })).status).toBe(
        200,
      );
    });

    it('compares htu without query or fragment, after URL normalisation (case of scheme and host, default port)', async () => {
      const token = await forge.dpopBoundToken(key);
      const htu = `HTTP://API.DPOP.TEST:80${ONLY}?from=proof#fragment`;
      const res = await get(`${ONLY}?from=request`, {
        Authorization: `DPoP ${token}`,
        DPoP: await key.proof({ method: 'GET', url: htu, accessToken: token }),
      });
      expect(res.status).toBe(200);
    });

    it('accepts a POST proof on the POST route (htm is the request method)', async () => {
      const token = await forge.dpopBoundToken(key, { sub: 'user-b' });
      const res = await request(app.getHttpServer())
        .post(ONLY)
        .set('Host', DPOP_HOST)
        .set({ Authorization: `DPoP ${token}`, DPoP: await proof(ONLY, token, { method: 'POST' }) });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ written: 'user-b' });
    });

    it('still accepts an unbound Bearer token on a route that does not require DPoP', async () => {
      expect((await get(ANY, await forge.bearer())).status).toBe(200);
    });

    it('accepts a bound token with its proof on a route that does not require DPoP', async () => {
      const token = await forge.dpopBoundToken(key);
      expect((await get(ANY, { Authorization: `DPoP ${token}`, DPoP: await proof(ANY, token) })).status).toBe(200);
    });
  });

  describe('routes that require DPoP', () => {
    it('refuses an unbound Bearer token with 401 and a DPoP challenge', async () => {
      const token = await forge.accessToken();
      expectDpopRefusal(await get(ONLY, { Authorization: `Bearer ${token}` }), 'dpop_required', [token]);
    });

    it('refuses a request without credentials with the DPoP challenge', async () => {
      expectDpopRefusal(await get(ONLY, {}), 'dpop_required');
    });

    it('refuses an Authorization header with two spaces after DPoP (same strictness as Bearer)', async () => {
      const token = await forge.dpopBoundToken(key);
      const res = await get(ONLY, { Authorization: `DPoP  ${token}`, DPoP: await proof(ONLY, token) });
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(lastFailure()).toMatchObject({ reason: 'malformed_header' });
    });

    it.each([
      ['two spaces', (token: string) => `DPoP  ${token}`],
      ['a second value after a comma', (token: string) => `DPoP ${token},x`],
      ['no token', () => 'DPoP'],
      ['a lower-case scheme and two spaces', (token: string) => `dpop  ${token}`],
    ])(
      'challenges a malformed DPoP header (%s) in the DPoP scheme with invalid_request (RFC 9449 §7.1)',
      async (_name, header) => {
        const token = await forge.dpopBoundToken(key);
        for (const path of [ONLY, ANY]) {
          const res = await get(path, { Authorization: header(token), DPoP: await proof(path, token) });
          expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
          expect(res.headers['www-authenticate']).toBe(`DPoP error="invalid_request", ${DEFAULT_ALGS}`);
          expect(lastFailure()).toMatchObject({ reason: 'malformed_header' });
        }
      },
    );

    it('still challenges a malformed Bearer header in the Bearer scheme', async () => {
      const res = await get(ANY, { Authorization: `Bearer  ${await forge.accessToken()}` });
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_request"/);
    });

    it('answers an invalid token sent with the DPoP scheme with a DPoP challenge (RFC 9449 §7.1)', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await forge.dpopBoundToken(key, { iat: now - 600, exp: now - 60 });
      const res = await get(ONLY, { Authorization: `DPoP ${token}`, DPoP: await proof(ONLY, token) });
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe(`DPoP error="invalid_token", ${DEFAULT_ALGS}`);
      expect(lastFailure()).toMatchObject({ reason: 'expired' });
    });

    it('refuses two DPoP proof headers', async () => {
      const token = await forge.dpopBoundToken(key);
      const res = await request(app.getHttpServer())
        .get(ONLY)
        .set('Host', DPOP_HOST)
        .set('Authorization', `DPoP ${token}`)
        // Sent as two header lines; Node joins them with ", ".
        .set('DPoP', [await proof(ONLY, token), await proof(ONLY, token)] as unknown as string);
      expectDpopRefusal(res, 'dpop_proof_malformed', [token]);
    });
  });

  describe('the kit attacks (DPOP_ATTACKS), each with its own reason', () => {
    let context: DpopAttackContext;
    beforeAll(async () => {
      context = {
        key,
        attacker: await DpopKey.generate(),
        method: 'GET',
        url: url(ONLY),
        boundToken: () => forge.dpopBoundToken(key, { sub: 'user-a' }),
        unboundToken: () => forge.accessToken({ sub: 'user-a' }),
      };
    });

    it.each(DPOP_ATTACKS.map((attack) => [attack.name, attack] as const))('%s: 401', async (_name, attack) => {
      const headers = await attack.build(context);
      if (attack.replay) expect((await get(ONLY, headers)).status).toBe(200);
      const res = await get(ONLY, headers);
      expectDpopRefusal(
        res,
        attack.reason,
        Object.values(headers).map((value) => value.replace(/^\S+ /, '')),
      );
    });

    it.each([ONLY, ANY])('probeDpop on %s: control accepted, no finding', async (path) => {
      const report = await probeDpop(app, { forge, path, origin: DPOP_ORIGIN, claims: { sub: 'user-a' } });
      expect(report.controlStatus).toBe(200);
      expect(report.findings).toEqual([]);
      expect(report.sent).toBe(DPOP_ATTACKS.length + 2);
    });
  });

  describe('single-use jti (memory store)', () => {
    it('of 30 parallel requests with one proof, exactly one is accepted', async () => {
      const token = await forge.dpopBoundToken(key);
      const headers = { Authorization: `DPoP ${token}`, DPoP: await proof(ONLY, token) };
      const statuses = await Promise.all(Array.from({ length: 30 }, () => get(ONLY, headers).then((r) => r.status)));
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(29);
      expect(events.filter((event) => event.reason === 'dpop_replayed')).toHaveLength(29);
    });

    it('a fresh proof (new jti) for the same token is accepted', async () => {
      const token = await forge.dpopBoundToken(key);
      for (let i = 0; i < 3; i++) {
        expect((await get(ONLY, { Authorization: `DPoP ${token}`, DPoP: await proof(ONLY, token) })).status).toBe(200);
      }
    });
  });
});

describe.each(ADAPTERS)('DPoP options over HTTP (%s)', (kind) => {
  const config = serverConfig('ES256');
  let forge: TokenForge;
  let key: DpopKey;
  const apps: INestApplication[] = [];
  const boot = async (dpop: Parameters<typeof dpopAppMetadata>[1]) => {
    const app = await createApp(kind, dpopAppMetadata(config.jwt, dpop));
    apps.push(app);
    return app;
  };
  const get = (app: INestApplication, path: string, headers: Record<string, string>) =>
    request(app.getHttpServer()).get(path).set('Host', DPOP_HOST).set(headers);

  beforeAll(async () => {
    ({ forge, key } = await dpopClient(config.signingKey));
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it.each([
    [{ algorithms: ['HS256'] }],
    [{ algorithms: [] }],
    [{ proofMaxAgeSeconds: 0 }],
    [{ proofMaxAgeSeconds: 301 }],
  ])('refuses to boot with dpop %j (ERR_CONFIG_INVALID_OPTION)', async (dpop) => {
    await expect(createApp(kind, dpopAppMetadata(config.jwt, dpop as never))).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID_OPTION',
    });
  });

  it('dpop.required: an unbound Bearer token is refused on every route; a bound one with a proof passes', async () => {
    const app = await boot({ required: true });
    const res = await get(app, ANY, await forge.bearer());
    expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
    expect(res.headers['www-authenticate']).toBe(`DPoP error="invalid_token", ${DEFAULT_ALGS}`);
    const token = await forge.dpopBoundToken(key);
    const valid = await key.proof({ method: 'GET', url: `${DPOP_ORIGIN}${ANY}`, accessToken: token });
    expect((await get(app, ANY, { Authorization: `DPoP ${token}`, DPoP: valid })).status).toBe(200);
  });

  it('CORS: a browser may send the DPoP header and read DPoP-Nonce and WWW-Authenticate', async () => {
    const origin = 'https://spa.dpop.test';
    const app = await createApp(
      kind,
      dpopAppMetadata(config.jwt, { nonce: true }, { type: 'memory' }, { hardening: { cors: { origins: [origin] } } }),
    );
    apps.push(app);
    const preflight = await request(app.getHttpServer()).options(ONLY).set({
      Origin: origin,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'authorization, dpop',
    });
    expect(preflight.status).toBe(204);
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)).toContain('dpop');
    const token = await forge.dpopBoundToken(key);
    const res = await get(app, ONLY, {
      Origin: origin,
      Authorization: `DPoP ${token}`,
      DPoP: await key.proof({ method: 'GET', url: `${DPOP_ORIGIN}${ONLY}`, accessToken: token }),
    });
    expectProblem(res, 401, ErrorCode.DPOP_NONCE_REQUIRED);
    const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['dpop-nonce', 'www-authenticate']));
  });

  it('dpop.algorithms: a proof signed with an algorithm left out is refused, and algs lists the allowed ones', async () => {
    const app = await boot({ algorithms: ['EdDSA'] });
    const token = await forge.dpopBoundToken(key);
    const res = await get(app, ONLY, {
      Authorization: `DPoP ${token}`,
      DPoP: await key.proof({ method: 'GET', url: `${DPOP_ORIGIN}${ONLY}`, accessToken: token }),
    });
    expectProblem(res, 401, ErrorCode.DPOP_PROOF_INVALID);
    expect(res.headers['www-authenticate']).toBe('DPoP error="invalid_dpop_proof", algs="EdDSA"');
    const edKey = await DpopKey.generate('EdDSA');
    const edToken = await forge.dpopBoundToken(edKey);
    const ok = await get(app, ONLY, {
      Authorization: `DPoP ${edToken}`,
      DPoP: await edKey.proof({ method: 'GET', url: `${DPOP_ORIGIN}${ONLY}`, accessToken: edToken }),
    });
    expect(ok.status).toBe(200);
  });

  it('dpop.nonce: 401 use_dpop_nonce with a DPoP-Nonce, then the proof with that nonce passes; a made-up nonce does not', async () => {
    const app = await boot({ nonce: true });
    const token = await forge.dpopBoundToken(key);
    const signed = (nonce?: string) =>
      key.proof({ method: 'GET', url: `${DPOP_ORIGIN}${ONLY}`, accessToken: token, ...(nonce ? { nonce } : {}) });
    const first = await get(app, ONLY, { Authorization: `DPoP ${token}`, DPoP: await signed() });
    expectProblem(first, 401, ErrorCode.DPOP_NONCE_REQUIRED);
    expect(first.headers['www-authenticate']).toBe(`DPoP error="use_dpop_nonce", ${DEFAULT_ALGS}`);
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect((await get(app, ONLY, { Authorization: `DPoP ${token}`, DPoP: await signed(nonce) })).status).toBe(200);
    const forged = `${nonce.split('.')[0]}.${'A'.repeat(43)}`;
    const refused = await get(app, ONLY, { Authorization: `DPoP ${token}`, DPoP: await signed(forged) });
    expectProblem(refused, 401, ErrorCode.DPOP_NONCE_REQUIRED);
  });
});

describe.each(ADAPTERS)('DPoP-Nonce refreshed on successful responses (RFC 9449 §8.2) (%s)', (kind) => {
  const config = serverConfig('ES256');
  const LIFETIME = 60;
  const clock = new TestClock();
  let forge: TokenForge;
  let key: DpopKey;
  let app: INestApplication;
  let plain: INestApplication;

  /** A request to the DPoP-only route with a fresh bound token and a proof made now (server clock), with `nonce`. */
  const call = async (target: INestApplication, nonce?: string) => {
    const token = await forge.dpopBoundToken(key);
    const proof = await key.proof({
      method: 'GET',
      url: `${DPOP_ORIGIN}${ONLY}`,
      accessToken: token,
      iat: Math.floor(clock.now() / 1000),
      ...(nonce !== undefined ? { nonce } : {}),
    });
    return request(target.getHttpServer())
      .get(ONLY)
      .set('Host', DPOP_HOST)
      .set({ Authorization: `DPoP ${token}`, DPoP: proof });
  };
  const withClock = (dpop: Parameters<typeof dpopAppMetadata>[1]) => {
    const metadata = dpopAppMetadata(config.jwt, dpop);
    return { ...metadata, imports: [clockModule(clock), ...(metadata.imports ?? [])] };
  };

  beforeAll(async () => {
    ({ forge, key } = await dpopClient(config.signingKey));
    app = await createApp(kind, withClock({ nonce: true, nonceLifetimeSeconds: LIFETIME }));
    plain = await createApp(kind, withClock({}));
  });
  afterAll(async () => {
    await app?.close();
    await plain?.close();
  });

  it('sends a new nonce on the 2xx that used a nonce about to expire, and none while the nonce is current', async () => {
    const first = await call(app);
    expectProblem(first, 401, ErrorCode.DPOP_NONCE_REQUIRED);
    const n1 = first.headers['dpop-nonce'] as string;
    const current = await call(app, n1);
    expect(current.status).toBe(200);
    expect(current.headers['dpop-nonce']).toBeUndefined();

    // Next window: n1 still passes, but expires at its end, so the success carries its successor.
    clock.advance(LIFETIME);
    const stale = await call(app, n1);
    expect(stale.status).toBe(200);
    const n2 = stale.headers['dpop-nonce'] as string;
    expect(n2).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect(n2).not.toBe(n1);
    const renewed = await call(app, n2);
    expect(renewed.status).toBe(200);
    expect(renewed.headers['dpop-nonce']).toBeUndefined();

    // One more window: a client that ignored the refresh is refused, one that took it goes on.
    clock.advance(LIFETIME);
    expectProblem(await call(app, n1), 401, ErrorCode.DPOP_NONCE_REQUIRED);
    const kept = await call(app, n2);
    expect(kept.status).toBe(200);
    expect(kept.headers['dpop-nonce']).not.toBe(n2);
  });

  it('sends no DPoP-Nonce when nonces are off', async () => {
    const res = await call(plain, 'client-made-up');
    expect(res.status).toBe(200);
    expect(res.headers['dpop-nonce']).toBeUndefined();
  });
});

describe.each(ADAPTERS)('DPoP htu behind a reverse proxy (%s)', (kind) => {
  const config = serverConfig('ES256');
  const PUBLIC = 'https://api.public.test';
  const forwarded = {
    Host: 'backend.internal:3000',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': 'api.public.test',
  };
  let forge: TokenForge;
  let key: DpopKey;
  let proxied: INestApplication;
  let direct: INestApplication;
  const call = async (app: INestApplication, htu: string) => {
    const token = await forge.dpopBoundToken(key);
    return request(app.getHttpServer())
      .get(ONLY)
      .set(forwarded)
      .set({ Authorization: `DPoP ${token}`, DPoP: await key.proof({ method: 'GET', url: htu, accessToken: token }) });
  };

  beforeAll(async () => {
    ({ forge, key } = await dpopClient(config.signingKey));
    // The adapter's own trust-proxy setting decides whether X-Forwarded-Proto/-Host are read.
    proxied = await createApp(kind, dpopAppMetadata(config.jwt), undefined, { trustProxy: true });
    direct = await createApp(kind, dpopAppMetadata(config.jwt));
  });
  afterAll(async () => {
    await proxied?.close();
    await direct?.close();
  });

  it('with the proxy trusted, htu is the public URL the client used (forwarded scheme and host)', async () => {
    expect((await call(proxied, `${PUBLIC}${ONLY}`)).status).toBe(200);
    expectProblem(await call(proxied, `http://backend.internal:3000${ONLY}`), 401, ErrorCode.DPOP_PROOF_INVALID);
  });

  it('without trusting the proxy, forwarded headers are ignored: a client cannot choose the URL it is checked against', async () => {
    expectProblem(await call(direct, `${PUBLIC}${ONLY}`), 401, ErrorCode.DPOP_PROOF_INVALID);
    expect((await call(direct, `http://backend.internal:3000${ONLY}`)).status).toBe(200);
  });
});
