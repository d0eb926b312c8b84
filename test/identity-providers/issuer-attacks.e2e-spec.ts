import type { INestApplication } from '@nestjs/common';
import { ApiSecurityModule, type SecurityEvent } from '@api-security/nestjs';
import { ISSUER_ATTACKS, IssuerForge, probeIssuers, type IssuerReport } from '@api-security/nestjs/testing';
import request from 'supertest';
import { ADAPTERS, createApp } from '../utils/create-app';
import { onSecurityEvent } from '../utils/security-events';
import { IdentityProviderProbeController, identityProviderApp, TestClock } from './identity-providers.fixture';
import { laxIssuerAuthenticator, type LaxMode } from './lax-issuer.fixture';
import {
  clientCredentialsToken,
  OidcProviderHarness,
  rsaKey,
  standardClients,
  type PrivateJwk,
} from './support/oidc-provider.harness';

const API = 'urn:orders-api';
const PARTNER_API = 'urn:partner-view';
const ME = '/api/idp/me';

const names = (report: IssuerReport) => report.findings.map((finding) => finding.attack);

describe('issuer attacks of the test kit against real oidc-provider issuers', () => {
  const harness = new OidcProviderHarness();
  let issuers: Record<string, string>;
  /** Forges holding the keys the test gave each provider; `rogue` is a provider the apps never trust. */
  let main: IssuerForge;
  let partner: IssuerForge;
  let rogue: IssuerForge;

  beforeAll(async () => {
    const [mainKey, partnerKey, rogueKey] = await Promise.all([
      rsaKey('main-1'),
      rsaKey('partner-1'),
      rsaKey('rogue-1'),
    ]);
    const spec = (name: string, keys: PrivateJwk[], resource: string) => ({
      name,
      keys,
      clients: standardClients(),
      resourceServers: { [resource]: { scope: 'orders:read orders:write' } },
      defaultResource: resource,
      roles: {},
    });
    issuers = await harness.start([
      spec('main', [mainKey.jwk], API),
      spec('partner', [partnerKey.jwk], PARTNER_API),
      spec('rogue', [rogueKey.jwk], API),
    ]);
    [main, partner, rogue] = await Promise.all([
      IssuerForge.create({ issuer: issuers.main as string, audience: API, key: mainKey.jwk }),
      IssuerForge.create({ issuer: issuers.partner as string, audience: PARTNER_API, key: partnerKey.jwk }),
      IssuerForge.create({ issuer: issuers.rogue as string, audience: API, key: rogueKey.jwk }),
    ]);
  }, 60_000);

  afterAll(() => harness.stop());

  it('forges tokens the real providers would issue: same header shape, and the provider JWKS verifies them', async () => {
    const real = await clientCredentialsToken(issuers.main as string, API, 'orders:read');
    const [realHeader] = real.split('.');
    const header = JSON.parse(Buffer.from(realHeader as string, 'base64url').toString()) as Record<string, unknown>;
    expect(main.header()).toEqual({ alg: header.alg, typ: header.typ, kid: header.kid });
    const jwks = (await (await fetch(`${issuers.main}/jwks`)).json()) as { keys: { kid: string; n: string }[] };
    expect(jwks.keys.find((key) => key.kid === 'main-1')?.n).toBe(main.publicJwk.n);
  });

  describe.each(ADAPTERS)('the library (%s)', (kind) => {
    let app: INestApplication;
    let events: SecurityEvent[] = [];

    beforeAll(async () => {
      app = await createApp(
        kind,
        identityProviderApp(
          {
            jwt: {
              trustedIssuers: [
                { issuer: issuers.main as string, audience: API },
                { issuer: issuers.partner as string, audience: PARTNER_API },
              ],
            },
          },
          new TestClock(),
        ),
      );
      onSecurityEvent(app, (event) => events.push(event));
    });
    afterAll(async () => {
      jest.restoreAllMocks();
      await app?.close();
    });

    it('refuses every issuer attack with 401 (rogue = a real oidc-provider the app does not trust)', async () => {
      const before = await harness.stats('rogue');
      const report = await probeIssuers(app, {
        trusted: main,
        other: partner,
        rogue,
        rogueJwksUri: `${issuers.rogue}/jwks`,
        path: ME,
      });
      expect(report.controlStatus).toBe(200);
      expect(report.skipped).toEqual([]);
      expect(report.findings).toEqual([]);
      expect(report.sent).toBe(ISSUER_ATTACKS.length + 1);
      // Neither the rogue's JWKS nor its metadata was fetched: no token decides where keys come from.
      expect(await harness.stats('rogue')).toEqual(before);
    });

    it('refuses them the other way round too (partner attacked, main as the other trusted issuer)', async () => {
      const report = await probeIssuers(app, { trusted: partner, other: main, path: ME });
      expect(report.controlStatus).toBe(200);
      expect(report.findings).toEqual([]);
      expect(report.rogueFetches).toEqual({ jwks: 0, metadata: 0 });
    });

    it('records the expected failure reason of each attack that names one', async () => {
      const context = { trusted: main, other: partner, rogue, rogueJwksUri: `${issuers.rogue}/jwks`, claims: {} };
      for (const attack of ISSUER_ATTACKS.filter((a) => a.reason !== undefined)) {
        events = [];
        const token = await attack.build(context);
        await request(app.getHttpServer()).get(ME).set('Authorization', `Bearer ${token}`).expect(401);
        const failure = events.find((event) => event.type === 'authentication.failure');
        expect([attack.name, failure?.reason]).toEqual([attack.name, attack.reason]);
      }
    });

    it('refuses a real token of the rogue provider for this very audience', async () => {
      const token = await clientCredentialsToken(issuers.rogue as string, API);
      await request(app.getHttpServer()).get(ME).set('Authorization', `Bearer ${token}`).expect(401);
      const real = await clientCredentialsToken(issuers.main as string, API);
      await request(app.getHttpServer()).get(ME).set('Authorization', `Bearer ${real}`).expect(200);
    });
  });

  describe.each(ADAPTERS)('a weakened app: the prober reports what its authenticator lets through (%s)', (kind) => {
    const laxApp = (mode: LaxMode) =>
      createApp(kind, {
        imports: [
          ApiSecurityModule.forRoot({
            rateLimit: { enabled: false },
            authenticators: [
              laxIssuerAuthenticator(mode, [issuers.main as string, issuers.partner as string], [API, PARTNER_API]),
            ],
          }),
        ],
        controllers: [IdentityProviderProbeController],
      });

    it('no issuer allow-list (keys from jku or discovery): untrusted issuers and jku get in', async () => {
      const app = await laxApp('any-issuer');
      try {
        const report = await probeIssuers(app, { trusted: main, other: partner, path: ME });
        expect(report.controlStatus).toBe(200);
        expect(names(report)).toEqual(
          expect.arrayContaining([
            'untrusted issuer, signed by its own key',
            'untrusted issuer, jku pointing at its JWKS',
            "trusted iss, jku pointing at the untrusted issuer's JWKS",
            'typ JWT instead of at+jwt',
          ]),
        );
        expect(report.rogueFetches?.jwks).toBeGreaterThan(0);
        // And with the real rogue provider: its own JWKS verifies its token.
        const real = await probeIssuers(app, { trusted: main, rogue, rogueJwksUri: `${issuers.rogue}/jwks`, path: ME });
        expect(names(real)).toContain('untrusted issuer, signed by its own key');
      } finally {
        await app.close();
      }
    });

    it("pooled keys of the trusted issuers: one provider's key vouches for another's iss (mix-up)", async () => {
      const app = await laxApp('shared-keys');
      try {
        const report = await probeIssuers(app, { trusted: main, other: partner, path: ME });
        expect(report.controlStatus).toBe(200);
        expect(names(report)).toEqual(
          expect.arrayContaining([
            "issuer mix-up: trusted iss, signed by another trusted issuer's key",
            "issuer mix-up: another trusted issuer's iss, signed by the trusted key",
          ]),
        );
        expect(names(report)).not.toContain('untrusted issuer, signed by its own key');
      } finally {
        await app.close();
      }
    });
  });
});
