import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  ErrorCode,
  JwtKeyService,
  RevocationService,
  TokenService,
  type JwtAlgorithm,
  type JwtFailureReason,
  type SecurityEvent,
} from '@api-security/nestjs';
import { LoopbackCanary, TokenForge, TOKEN_ATTACKS, type JwtMembers } from '@api-security/nestjs/testing';
import { JWT_AUDIENCE, JWT_ISSUER, jwtAppMetadata, serverConfig } from './fixtures/jwt.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { onSecurityEvent } from './utils/security-events';

const ALGORITHMS: readonly JwtAlgorithm[] = ['ES256', 'RS256', 'EdDSA', 'HS256'];
/** Nothing about the verifier's internals may reach a client. */
const LEAKS = /jwt|jsonwebtoken|passport|jose/i;
const PROBE = '/api/probe/me';

describe.each(ADAPTERS)('access-token attacks over HTTP (%s)', (kind) => {
  describe.each(ALGORITHMS)('%s server', (algorithm) => {
    const config = serverConfig(algorithm);
    let app: INestApplication;
    let forge: TokenForge;
    let canary: LoopbackCanary;
    const http = () => request(app.getHttpServer());
    const probe = (authorization?: string) => {
      const req = http().get(PROBE);
      return authorization === undefined ? req : req.set('Authorization', authorization);
    };

    /** A token signed with the server's own key: only what the overrides change is wrong with it. */
    const serverSigned = (claims: JwtMembers = {}, header: JwtMembers = {}) => forge.sign(claims, header);

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
      // The canary serves the attacker's key, so that a verifier that fetched jku/x5u would accept it.
      const served: { keys: unknown[] } = { keys: [] };
      canary = await new LoopbackCanary({ body: () => served }).start();
      forge = await TokenForge.create({
        algorithm,
        key: config.signingKey,
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        keyUrl: `${canary.url}/keys.json`,
      });
      served.keys.push((await forge.attacker()).jwk);
      app = await createApp(kind, jwtAppMetadata(config.jwt));
      expect(forge.kid).toBe(app.get(JwtKeyService).signingKid);
      onSecurityEvent(app, (event) => events.push(event));
    });
    beforeEach(() => {
      events = [];
    });
    afterAll(async () => {
      jest.restoreAllMocks();
      await app?.close();
      await canary?.stop();
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

      it('never reads a token from the body (query string and cookie: see the forged tokens)', async () => {
        const token = await serverSigned();
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

      it('reads the scheme as RFC 6750 writes it: any case, then exactly one space before a valid token', async () => {
        const token = await serverSigned();
        expect((await probe(`bearer ${token}`)).status).toBe(200);
        expect((await probe(`BEARER ${token}`)).status).toBe(200);
        for (const header of [`Bearer  ${token}`, `Bearer   ${token}`, `Bearer\t${token}`]) {
          expectRefused(await probe(header), token, 'malformed_header', 'Bearer error="invalid_request"');
        }
        // HTTP/1.1 drops whitespace around a field value (RFC 9110 §5.5) before any code sees it, so a
        // trailing space cannot reach the parser over the wire; the parser refuses it (unit specs).
        expectRefused(await probe('Bearer x '), undefined, 'malformed');
      });

      it.each(['Bearer a.b', 'Bearer a.b.c.d', 'Bearer ...', 'Bearer eyJ.eyJ.eyJ', 'Bearer not-a-token'])(
        'answers invalid_token to the non-token %p',
        async (header) => {
          expectRefused(await probe(header), undefined, 'malformed');
        },
      );
    });

    describe('forged tokens (the test kit catalogue)', () => {
      const attacks = TOKEN_ATTACKS.filter((attack) => attack.appliesTo?.(algorithm) ?? true);

      it.each(attacks.map((attack) => [attack.name, attack] as const))('refuses %s', async (_name, attack) => {
        const forged = await forge.forge(attack);
        const res = await http().get(`${PROBE}${forged.query}`).set(forged.headers);
        // Outside the Authorization header a token is simply absent: a bare challenge, no audit reason.
        const absent = attack.placement !== undefined && attack.placement !== 'authorization';
        expectRefused(res, forged.token, forged.reason, absent ? 'Bearer' : undefined);
      });

      it('the loopback canary behind jku and x5u received zero connections', () => {
        expect(canary.connections).toBe(0);
        expect(canary.requests).toEqual([]);
      });

      it('every attack the verifier has a reason for is covered', () => {
        const reasons = new Set(attacks.map((attack) => attack.reason));
        for (const reason of [
          'alg_not_allowed',
          'bad_signature',
          'unknown_kid',
          'forbidden_header',
          'wrong_typ',
          'expired',
          'not_yet_valid',
          'wrong_issuer',
          'wrong_audience',
          'invalid_claims',
          'malformed',
          'too_large',
        ] satisfies JwtFailureReason[]) {
          expect(reasons).toContain(reason);
        }
      });
    });

    describe('size', () => {
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
