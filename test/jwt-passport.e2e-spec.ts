import { Controller, Get, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import request from 'supertest';
import {
  ApiSecurityModule,
  JwtAuthenticator,
  JwtKeyService,
  JWT_STRATEGY_NAME,
  Public,
  RevocationService,
  TokenService,
  type JwtAlgorithm,
  type SecurityEvent,
} from '@api-security/nestjs';
import { LoopbackCanary, TOKEN_ATTACKS, TokenForge } from '@api-security/nestjs/testing';
import { JWT_AUDIENCE, JWT_ISSUER, ProbeController, serverConfig } from './fixtures/jwt.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { onSecurityEvent } from './utils/security-events';

/** Nothing about the verifier's internals may reach a client. */
const LEAKS = /jwt|jsonwebtoken|passport|jose/i;
const GUARDED = '/api/probe/me';
const PASSPORT = '/api/composed/me';

/** (The path avoids the words the tests look for in bodies.) A route an application guards itself with the library's Passport strategy, as with any strategy. */
@Controller('composed')
class PassportProbeController {
  @Public()
  @UseGuards(AuthGuard(JWT_STRATEGY_NAME))
  @Get('me')
  me(@Req() req: { user?: { id?: unknown; authMethod?: unknown } }): { id: unknown; authMethod: unknown } {
    return { id: req.user?.id, authMethod: req.user?.authMethod };
  }
}

/**
 * The same token gets the same answer from the security guard (`JwtAuthenticator`) and from an
 * application's `AuthGuard(JWT_STRATEGY_NAME)`: one verification path, revocation included, with
 * the same audit reason. The whole forged-token catalogue goes through both.
 */
describe.each(ADAPTERS)('AuthGuard(JWT_STRATEGY_NAME) over HTTP (%s)', (kind) => {
  describe.each<JwtAlgorithm>(['ES256', 'EdDSA', 'HS256'])('%s server', (algorithm) => {
    const config = serverConfig(algorithm);
    let app: INestApplication;
    let forge: TokenForge;
    let canary: LoopbackCanary;
    let events: SecurityEvent[] = [];
    const get = (path: string, headers: Record<string, string> = {}) =>
      request(app.getHttpServer()).get(path).set(headers);
    const failureReasons = () => events.filter((e) => e.type === 'authentication.failure').map((e) => e.reason);

    beforeAll(async () => {
      canary = await new LoopbackCanary({ body: () => ({ keys: [] }) }).start();
      forge = await TokenForge.create({
        algorithm,
        key: config.signingKey,
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        keyUrl: `${canary.url}/keys.json`,
      });
      app = await createApp(kind, {
        imports: [
          ApiSecurityModule.forRoot({
            jwt: config.jwt,
            authenticators: [JwtAuthenticator],
            // Every token below is sent twice; the per-IP budget is not under test here.
            rateLimit: { tiers: { default: '10000/60s' } },
          }),
        ],
        controllers: [ProbeController, PassportProbeController],
      });
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

    it('accepts a valid token on both paths with the same principal', async () => {
      const issued = await app.get(TokenService).issueAccessToken({ sub: 'user-1', role: 'user' });
      const headers = { Authorization: `Bearer ${issued.token}` };
      const passport = await get(PASSPORT, headers);
      expect(passport.status).toBe(200);
      expect(passport.body).toEqual({ id: 'user-1', authMethod: 'jwt' });
      expect((await get(GUARDED, headers)).body).toMatchObject({ id: 'user-1', authMethod: 'jwt' });
    });

    it('refuses a revoked token on the Passport path too', async () => {
      const issued = await app.get(TokenService).issueAccessToken({ sub: 'user-2', role: 'user' });
      const headers = { Authorization: `Bearer ${issued.token}` };
      expect((await get(PASSPORT, headers)).status).toBe(200);
      await app.get(RevocationService).revokeToken('user-2', issued.jti, issued.expiresAt);
      const res = await get(PASSPORT, headers);
      expect(res.status).toBe(401);
      expect(res.text).not.toMatch(LEAKS);
      expect(failureReasons()).toEqual(['revoked']);
      expect((await get(GUARDED, headers)).status).toBe(401);
      expect(failureReasons()).toEqual(['revoked', 'revoked']);
    });

    it('answers 401 without a token', async () => {
      const res = await get(PASSPORT);
      expect(res.status).toBe(401);
      expect(res.text).not.toMatch(LEAKS);
    });

    const attacks = TOKEN_ATTACKS.filter(
      (attack) => (attack.appliesTo?.(algorithm) ?? true) && (attack.placement ?? 'authorization') === 'authorization',
    );
    it.each(attacks.map((attack) => [attack.name, attack] as const))(
      'refuses %s with the same reason as the security guard',
      async (_name, attack) => {
        const forged = await forge.forge(attack);
        const passport = await get(PASSPORT, forged.headers);
        expect(passport.status).toBe(401);
        expect(passport.text).not.toMatch(LEAKS);
        expect(passport.text).not.toContain(forged.token);
        const guarded = await get(GUARDED, forged.headers);
        expect(guarded.status).toBe(401);
        const [viaPassport, viaGuard] = failureReasons();
        expect(viaPassport).toBe(viaGuard);
        if (forged.reason !== undefined) expect(viaPassport).toBe(forged.reason);
      },
    );
  });
});
