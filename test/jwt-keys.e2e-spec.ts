import type { INestApplication } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import request from 'supertest';
import { JwtKeyService, SecurityEventBus, TokenService, type SecurityEvent } from '@api-security/nestjs';
import { unusedPort } from './support/unused-port';
import { accessTokenClaims, LoopbackCanary, signJws, type JwtMembers } from '@api-security/nestjs/testing';
import { generateKeys, JWT_AUDIENCE, JWT_ISSUER, jwtAppMetadata, serverConfig, spki } from './fixtures/jwt.fixture';
import { ADAPTERS, createApp } from './utils/create-app';

const PROBE = '/api/probe/me';
const accessClaims = (overrides: JwtMembers = {}) => accessTokenClaims(JWT_ISSUER, JWT_AUDIENCE, overrides);
const signToken = signJws;

/** Records the security events of an app (the bus still logs them). */
function recordEvents(app: INestApplication): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  const bus = app.get(SecurityEventBus);
  const emit = bus.emit.bind(bus);
  jest.spyOn(bus, 'emit').mockImplementation((event) => {
    events.push(event);
    emit(event);
  });
  return events;
}

const lastFailure = (events: SecurityEvent[]) => events.filter((e) => e.type === 'authentication.failure').at(-1);

describe.each(ADAPTERS)('access-token keys over HTTP (%s)', (kind) => {
  const previous = generateKeys('ES256');
  const external = generateKeys('ES256');
  const externalRsa = generateKeys('RS256');
  let listener: LoopbackCanary;
  let app: INestApplication;
  let events: SecurityEvent[];
  const probe = (token: string) => request(app.getHttpServer()).get(PROBE).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    listener = await new LoopbackCanary({
      body: {
        keys: [
          { ...(await exportJWK(external.publicKey)), kid: 'ext-1', alg: 'ES256', use: 'sig' },
          { ...(await exportJWK(externalRsa.publicKey)), kid: 'ext-rsa', alg: 'RS256', use: 'sig' },
        ],
      },
    }).start();
    const config = serverConfig('ES256', {
      verificationKeys: [{ kid: 'previous-1', publicKey: spki(previous.publicKey) }],
      jwksUrl: `${listener.url}/jwks.json`,
    });
    app = await createApp(kind, jwtAppMetadata(config.jwt));
    events = recordEvents(app);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await listener?.stop();
  });

  it('accepts tokens of the current key', async () => {
    const { token } = await app.get(TokenService).issueAccessToken({ sub: 'user-1', role: 'user' });
    expect((await probe(token)).status).toBe(200);
  });

  it('accepts a token signed by the rotated-out key under its kid', async () => {
    const token = await signToken(
      { alg: 'ES256', typ: 'at+jwt', kid: 'previous-1' },
      accessClaims(),
      previous.privateKey,
    );
    const res = await probe(token);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('user-1');
  });

  it("refuses the old key under the current key's kid (kid chooses the key, the key must match)", async () => {
    const kid = app.get(JwtKeyService).signingKid;
    const token = await signToken({ alg: 'ES256', typ: 'at+jwt', kid }, accessClaims(), previous.privateKey);
    expect((await probe(token)).status).toBe(401);
    expect(lastFailure(events)?.reason).toBe('bad_signature');
  });

  it("accepts the external issuer's token through the configured JWKS URL", async () => {
    const token = await signToken(
      { alg: 'ES256', typ: 'at+jwt', kid: 'ext-1' },
      accessClaims({ sub: 'ext-user' }),
      external.privateKey,
    );
    const res = await probe(token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'ext-user', authMethod: 'jwt' });
    expect(listener.requests.length).toBeGreaterThanOrEqual(1);
    expect(new Set(listener.requests)).toEqual(new Set(['/jwks.json']));
  });

  it('applies the same typ, issuer and algorithm rules to external tokens', async () => {
    const header = { alg: 'ES256', typ: 'at+jwt', kid: 'ext-1' };
    const cases: [string, Promise<string>][] = [
      ['wrong_typ', signToken({ ...header, typ: 'JWT' }, accessClaims(), external.privateKey)],
      ['wrong_issuer', signToken(header, accessClaims({ iss: 'https://other.example' }), external.privateKey)],
      ['wrong_audience', signToken(header, accessClaims({ aud: 'other' }), external.privateKey)],
      ['expired', signToken(header, accessClaims({ iat: 1, exp: 2 }), external.privateKey)],
      [
        'alg_not_allowed',
        signToken({ alg: 'RS256', typ: 'at+jwt', kid: 'ext-rsa' }, accessClaims(), externalRsa.privateKey),
      ],
    ];
    for (const [reason, token] of cases) {
      const res = await probe(await token);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(lastFailure(events)?.reason).toBe(reason);
    }
  });

  it('refuses an external key posing under a local kid', async () => {
    const token = await signToken(
      { alg: 'ES256', typ: 'at+jwt', kid: 'previous-1' },
      accessClaims(),
      external.privateKey,
    );
    expect((await probe(token)).status).toBe(401);
    expect(lastFailure(events)?.reason).toBe('bad_signature');
  });

  it('refuses unknown kids without hammering the JWKS URL (cooldown)', async () => {
    const before = listener.requests.length;
    for (let i = 0; i < 10; i++) {
      const token = await signToken(
        { alg: 'ES256', typ: 'at+jwt', kid: `random-${i}` },
        accessClaims(),
        external.privateKey,
      );
      expect((await probe(token)).status).toBe(401);
      expect(lastFailure(events)?.reason).toBe('unknown_kid');
    }
    expect(listener.requests.length - before).toBeLessThanOrEqual(1);
  });

  it('never fetches a URL named by the token', async () => {
    const token = await signToken(
      { alg: 'ES256', typ: 'at+jwt', kid: 'ext-1', jku: `${listener.url}/attacker.json` },
      accessClaims(),
      external.privateKey,
    );
    expect((await probe(token)).status).toBe(401);
    expect(lastFailure(events)?.reason).toBe('forbidden_header');
    expect(listener.requests.filter((path) => path !== '/jwks.json')).toEqual([]);
  });
});

describe.each(ADAPTERS)('access tokens with an unreachable JWKS URL (%s)', (kind) => {
  let app: INestApplication;
  let events: SecurityEvent[];

  beforeAll(async () => {
    const port = await unusedPort();
    app = await createApp(
      kind,
      jwtAppMetadata(serverConfig('ES256', { jwksUrl: `http://127.0.0.1:${port}/jwks.json` }).jwt),
    );
    events = recordEvents(app);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
  });

  it('answers 401 (not 500) to an external token, and still accepts local tokens', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await signToken({ alg: 'ES256', typ: 'at+jwt', kid: 'ext-1' }, accessClaims(), other.privateKey);
    const res = await request(app.getHttpServer()).get(PROBE).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(lastFailure(events)?.reason).toBe('jwks_unavailable');
    const local = await app.get(TokenService).issueAccessToken({ sub: 'u', role: 'user' });
    expect((await request(app.getHttpServer()).get(PROBE).set('Authorization', `Bearer ${local.token}`)).status).toBe(
      200,
    );
  });
});
