import type { INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import request from 'supertest';
import {
  ErrorCode,
  JwtKeyService,
  RevocationService,
  TokenService,
  type JwtAlgorithm,
  type JwtFailureReason,
  type SecurityEvent,
} from '@app/api-security';
import { generateKeys, jwtAppMetadata, serverConfig } from './fixtures/jwt.fixture';
import {
  accessClaims,
  signToken,
  startCountingListener,
  unsignedToken,
  withPayload,
  type CountingListener,
  type Members,
} from './fixtures/jwt-forge';
import { ADAPTERS, createApp } from './utils/create-app';
import { onSecurityEvent } from './utils/security-events';

const ALGORITHMS: readonly JwtAlgorithm[] = ['ES256', 'RS256', 'EdDSA', 'HS256'];
/** Nothing about the verifier's internals may reach a client. */
const LEAKS = /jwt|jsonwebtoken|passport|jose/i;
const PROBE = '/api/probe/me';

/** The attacker's own key of the same kind as the server's, and its public JWK. */
interface AttackerKey {
  signingKey: KeyObject | Uint8Array;
  jwk: JWK;
  kid: string;
}

async function attackerKeyFor(algorithm: JwtAlgorithm): Promise<AttackerKey> {
  if (algorithm === 'HS256') {
    const secret = randomBytes(32);
    const jwk: JWK = { kty: 'oct', k: secret.toString('base64url') };
    return { signingKey: new Uint8Array(secret), jwk, kid: await calculateJwkThumbprint(jwk) };
  }
  const { privateKey, publicKey } = generateKeys(algorithm);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { signingKey: privateKey, jwk: { ...jwk, kid, alg: algorithm, use: 'sig' }, kid };
}

describe.each(ADAPTERS)('access-token attacks over HTTP (%s)', (kind) => {
  describe.each(ALGORITHMS)('%s server', (algorithm) => {
    const config = serverConfig(algorithm);
    let app: INestApplication;
    let kid: string | undefined;
    let attacker: AttackerKey;
    let listener: CountingListener;
    const http = () => request(app.getHttpServer());
    const probe = (authorization?: string) => {
      const req = http().get(PROBE);
      return authorization === undefined ? req : req.set('Authorization', authorization);
    };

    /** A header as the server would write it, with overrides (`undefined` removes a member). */
    const serverHeader = (overrides: Members = {}): Members => ({ alg: algorithm, typ: 'at+jwt', kid, ...overrides });
    /** A token signed with the server's own key: only what the overrides change is wrong with it. */
    const serverSigned = (claims: Members = {}, header: Members = {}) =>
      signToken(serverHeader(header), accessClaims(claims), config.signingKey);
    const attackerSigned = (header: Members = {}, claims: Members = {}) =>
      signToken(serverHeader({ kid: attacker.kid, ...header }), accessClaims(claims), attacker.signingKey);

    let events: SecurityEvent[] = [];

    /**
     * 401 problem details with the RFC 6750 challenge, nothing leaked, and (when given) the audit
     * reason of the refusal, which tells apart the check that fired.
     */
    function expectRefused(
      res: request.Response,
      token: string | undefined,
      reason?: JwtFailureReason,
      challenge = 'Bearer error="invalid_token"',
    ): void {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(challenge);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(res.text).not.toMatch(LEAKS);
      if (token) {
        expect(res.text).not.toContain(token);
        expect(JSON.stringify(events)).not.toContain(token.split('.')[2] || token.slice(0, 40));
      }
      if (reason) {
        const failures = events.filter((e) => e.type === 'authentication.failure');
        expect(failures.at(-1)?.reason).toBe(reason);
        expect(failures.at(-1)?.details).toMatchObject({ authMethod: 'jwt' });
      }
    }

    beforeAll(async () => {
      attacker = await attackerKeyFor(algorithm);
      listener = await startCountingListener({ keys: [attacker.jwk] });
      app = await createApp(kind, jwtAppMetadata(config.jwt));
      kid = app.get(JwtKeyService).signingKid;
      onSecurityEvent(app, (event) => events.push(event));
    });
    beforeEach(() => {
      events = [];
    });
    afterAll(async () => {
      jest.restoreAllMocks();
      await app?.close();
      await listener?.close();
    });

    describe('valid tokens', () => {
      it('answers 200 with the principal for a token from TokenService', async () => {
        const issued = await app.get(TokenService).issueAccessToken({ sub: 'user-1', role: 'admin', sid: 'family-1' });
        const res = await probe(`Bearer ${issued.token}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          id: 'user-1',
          roles: ['admin'],
          authMethod: 'jwt',
          scopes: [],
          tokenId: issued.jti,
          sessionId: 'family-1',
          issuedAt: issued.expiresAt - issued.expiresIn,
          expiresAt: issued.expiresAt,
        });
      });

      it('accepts a token forged with the server key and nothing wrong (control for the cases below)', async () => {
        const res = await probe(`Bearer ${await serverSigned()}`);
        expect(res.status).toBe(200);
        expect(res.body.id).toBe('user-1');
      });

      it.each(['application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])('accepts typ %s', async (typ) => {
        expect((await probe(`Bearer ${await serverSigned({}, { typ })}`)).status).toBe(200);
      });

      it('accepts the lower-case scheme "bearer"', async () => {
        expect((await probe(`bearer ${await serverSigned()}`)).status).toBe(200);
      });

      it('accepts a token expired within the clock tolerance', async () => {
        const now = Math.floor(Date.now() / 1000);
        expect((await probe(`Bearer ${await serverSigned({ iat: now - 60, exp: now - 2 })}`)).status).toBe(200);
      });
    });

    describe('missing or misplaced credentials', () => {
      it('answers 401 with a bare Bearer challenge when there is no token', async () => {
        expectRefused(await probe(), undefined, undefined, 'Bearer');
      });

      it('never reads a token from the query string, a cookie or the body', async () => {
        const token = await serverSigned();
        expectRefused(await http().get(`${PROBE}?access_token=${token}`), token, undefined, 'Bearer');
        expectRefused(await http().get(PROBE).set('Cookie', `access_token=${token}`), token, undefined, 'Bearer');
        const post = await http().post(PROBE).send({ access_token: token });
        expect(post.status).not.toBe(200);
        expect(post.text).not.toContain(token);
      });

      it.each(['Bearer', 'Bearer ', 'Basic x', 'Basic dXNlcjpwYXNz', 'Token abc', 'Bearer a b'])(
        'answers invalid_request to the malformed header %p',
        async (header) => {
          expectRefused(await probe(header), undefined, 'malformed_header', 'Bearer error="invalid_request"');
        },
      );

      it.each(['Bearer a.b', 'Bearer a.b.c.d', 'Bearer ...', 'Bearer eyJ.eyJ.eyJ', 'Bearer not-a-token'])(
        'answers invalid_token to the non-token %p',
        async (header) => {
          expectRefused(await probe(header), undefined, 'malformed');
        },
      );
    });

    describe('algorithm and signature', () => {
      const spellings = ['none', 'None', 'NONE', 'nOnE'];
      it.each(spellings.flatMap((alg) => [[alg, 'empty'] as const, [alg, 'garbage'] as const]))(
        'refuses alg %p with a %s signature',
        async (alg, signature) => {
          const token = unsignedToken(alg, accessClaims(), signature === 'empty' ? '' : 'Z2FyYmFnZQ');
          expectRefused(await probe(`Bearer ${token}`), token, 'alg_not_allowed');
        },
      );

      it('refuses a valid token with its signature removed or replaced by "null"', async () => {
        const [header, payload] = (await serverSigned()).split('.');
        for (const token of [`${header}.${payload}.`, `${header}.${payload}.null`, `${header}.${payload}.AAAA`]) {
          expectRefused(await probe(`Bearer ${token}`), token);
        }
      });

      it.each([
        ['sub', { sub: 'admin-1' }],
        ['role', { role: 'admin' }],
        ['exp', { exp: Math.floor(Date.now() / 1000) + 86_400 * 365 }],
      ])('refuses a token whose %s was changed after signing', async (_claim, change) => {
        const original = await serverSigned();
        const claims = JSON.parse(Buffer.from(original.split('.')[1] as string, 'base64url').toString()) as Members;
        const token = withPayload(original, { ...claims, ...change });
        expectRefused(await probe(`Bearer ${token}`), token, 'bad_signature');
      });

      if (algorithm !== 'HS256') {
        it('refuses HS256 tokens signed with the server public key as PEM text and as JWK JSON', async () => {
          const jwks = app.get(JwtKeyService).jwks();
          const publicJwk = jwks.keys[0] as JWK;
          const publicPem = config.publicKey?.export({ type: 'spki', format: 'pem' }).toString() as string;
          const encoder = new TextEncoder();
          for (const secret of [publicPem, publicPem.trim(), JSON.stringify(publicJwk)]) {
            const token = await signToken(serverHeader({ alg: 'HS256' }), accessClaims(), encoder.encode(secret));
            expectRefused(await probe(`Bearer ${token}`), token, 'alg_not_allowed');
          }
        });
      }

      it('refuses a token signed by another key of the same type that claims the server kid', async () => {
        const token = await signToken(serverHeader(), accessClaims(), attacker.signingKey);
        expectRefused(await probe(`Bearer ${token}`), token, 'bad_signature');
      });

      it('refuses a token signed by another key under its own kid', async () => {
        const token = await attackerSigned();
        expectRefused(await probe(`Bearer ${token}`), token, 'unknown_kid');
      });
    });

    describe('keys named or carried by the token', () => {
      it('refuses an embedded jwk header carrying the attacker key', async () => {
        for (const header of [{ jwk: attacker.jwk }, { jwk: attacker.jwk, kid: undefined }]) {
          const token = await attackerSigned(header);
          expectRefused(await probe(`Bearer ${token}`), token, 'forbidden_header');
        }
      });

      it.each(['jku', 'x5u'])('refuses %s pointing at a listener and never calls it', async (member) => {
        const token = await attackerSigned({ [member]: `${listener.url}/keys.json` });
        expectRefused(await probe(`Bearer ${token}`), token, 'forbidden_header');
      });

      it.each<[string, () => Members]>([
        ['jku', () => ({ jku: `${listener.url}/keys.json` })],
        ['x5u', () => ({ x5u: `${listener.url}/cert.pem` })],
        ['x5c', () => ({ x5c: ['MIIBszCCAVmgAwIBAgIUQ'] })],
        ['jwk', () => ({ jwk: attacker.jwk })],
        ['crit', () => ({ crit: ['b64'], b64: true })],
      ])('refuses a server-signed token that merely carries %s', async (_member, header) => {
        const token = await serverSigned({}, header());
        expectRefused(await probe(`Bearer ${token}`), token, 'forbidden_header');
      });

      it('the loopback listener received zero requests', () => {
        expect(listener.requests).toEqual([]);
      });

      it.each(['../../../../dev/null', "' OR '1'='1", '$(id)', '__proto__', 'constructor', ''])(
        'refuses a server-signed token with kid %p',
        async (badKid) => {
          const token = await serverSigned({}, { kid: badKid });
          expectRefused(await probe(`Bearer ${token}`), token, 'unknown_kid');
        },
      );

      if (algorithm !== 'HS256') {
        it('refuses a server-signed token without kid', async () => {
          const token = await serverSigned({}, { kid: undefined });
          expectRefused(await probe(`Bearer ${token}`), token, 'unknown_kid');
        });
      }
    });

    describe('claims', () => {
      const now = () => Math.floor(Date.now() / 1000);
      it.each<[string, () => Members, JwtFailureReason]>([
        ['expired beyond the tolerance', () => ({ iat: now() - 600, exp: now() - 60 }), 'expired'],
        ['nbf in the future', () => ({ nbf: now() + 60 }), 'not_yet_valid'],
        ['no exp', () => ({ exp: undefined }), 'invalid_claims'],
        ['no jti', () => ({ jti: undefined }), 'invalid_claims'],
        ['no sub', () => ({ sub: undefined }), 'invalid_claims'],
        ['no iat', () => ({ iat: undefined }), 'invalid_claims'],
        ['an empty sub', () => ({ sub: '' }), 'invalid_claims'],
        ['a numeric sub', () => ({ sub: 42 }), 'invalid_claims'],
        ['a string exp', () => ({ exp: String(now() + 300) }), 'invalid_claims'],
        ['iat far in the future', () => ({ iat: now() + 3600, exp: now() + 7200 }), 'invalid_claims'],
        ['a wrong iss', () => ({ iss: 'https://evil.example' }), 'wrong_issuer'],
        ['no iss', () => ({ iss: undefined }), 'wrong_issuer'],
        ['a wrong aud', () => ({ aud: 'another-api' }), 'wrong_audience'],
        ['no aud', () => ({ aud: undefined }), 'wrong_audience'],
        ['a non-string role', () => ({ role: ['admin'] }), 'invalid_claims'],
      ])('refuses a server-signed token with %s', async (_name, claims, reason) => {
        const token = await serverSigned(claims());
        expectRefused(await probe(`Bearer ${token}`), token, reason);
      });

      it.each<[string, Members]>([
        ['typ JWT', { typ: 'JWT' }],
        ['no typ', { typ: undefined }],
        ['a refresh-token typ rt+jwt', { typ: 'rt+jwt' }],
        ['typ application/jwt', { typ: 'application/jwt' }],
        ['an ID-token-like typ', { typ: 'id_token+jwt' }],
        ['typ at+jwt with a suffix', { typ: 'at+jwt2' }],
      ])('refuses a server-signed token with %s', async (_name, header) => {
        const token = await serverSigned({}, header);
        expectRefused(await probe(`Bearer ${token}`), token, 'wrong_typ');
      });
    });

    describe('size', () => {
      it('refuses a 9 KB token with 401 before parsing it', async () => {
        const token = `${'e'.repeat(3000)}.${'e'.repeat(3000)}.${'e'.repeat(3200)}`;
        expectRefused(await probe(`Bearer ${token}`), token, 'too_large');
      });

      it('answers a 100 KB token with 400, 401 or 431, never 500', async () => {
        const token = `${'a'.repeat(50 * 1024)}.${'b'.repeat(50 * 1024)}.c`;
        const res = await probe(`Bearer ${token}`);
        expect([400, 401, 431]).toContain(res.status);
        expect(res.text ?? '').not.toContain(token.slice(0, 64));
        expect(res.text ?? '').not.toMatch(LEAKS);
      });
    });

    describe('revocation', () => {
      it('refuses a revoked jti, even though the token was verified (and cached) before', async () => {
        const sub = `user-${randomUUID()}`;
        const issued = await app.get(TokenService).issueAccessToken({ sub, role: 'user' });
        const other = await app.get(TokenService).issueAccessToken({ sub, role: 'user' });
        expect((await probe(`Bearer ${issued.token}`)).status).toBe(200);
        await app.get(RevocationService).revokeToken(sub, issued.jti, issued.expiresAt);
        expectRefused(await probe(`Bearer ${issued.token}`), issued.token, 'revoked');
        expect((await probe(`Bearer ${other.token}`)).status).toBe(200);
      });

      it('revokeAllForUser refuses older tokens and accepts one issued right afterwards', async () => {
        const sub = `user-${randomUUID()}`;
        const tokens = app.get(TokenService);
        const older = await tokens.issueAccessToken({ sub, role: 'user' });
        const forged = await serverSigned({ sub, iat: Math.floor(Date.now() / 1000) - 30 });
        const bystander = await tokens.issueAccessToken({ sub: `user-${randomUUID()}`, role: 'user' });
        expect((await probe(`Bearer ${older.token}`)).status).toBe(200);
        await app.get(RevocationService).revokeAllForUser(sub);
        const newer = await tokens.issueAccessToken({ sub, role: 'user' });
        expectRefused(await probe(`Bearer ${older.token}`), older.token, 'revoked');
        expectRefused(await probe(`Bearer ${forged}`), forged, 'revoked');
        expect((await probe(`Bearer ${newer.token}`)).status).toBe(200);
        expect((await probe(`Bearer ${bystander.token}`)).status).toBe(200);
      });
    });
  });
});
