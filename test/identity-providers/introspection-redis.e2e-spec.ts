import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { JwtVerifier, RevocationService } from '@api-security/nestjs';
import { createApp } from '../utils/create-app';
import { describeWithServices } from '../support/services';
import { identityProviderApp, TestClock } from './identity-providers.fixture';
import {
  clientCredentialsToken,
  INTROSPECTION_CLIENT,
  OidcProviderHarness,
  revokeToken,
  rsaKey,
  standardClients,
} from './support/oidc-provider.harness';

const API = 'urn:orders-api';
const CACHE = 2;

/** A clock that moves only when the test moves it (shared by both instances). */
class FrozenClock extends TestClock {
  private readonly start = Date.now();
  override readonly now = (): number => this.start + this.offsetMs;
}

describeWithServices('opaque tokens across two instances sharing Redis', ['redis'], ({ redis: url }) => {
  const harness = new OidcProviderHarness();
  const clock = new FrozenClock();
  let issuer: string;
  let first: INestApplication;
  let second: INestApplication;

  /** `count` parallel requests with `token`, alternating between the two instances. */
  const spread = (token: string, count = 30) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const app = i % 2 === 0 ? first : second;
        return (await request(app.getHttpServer()).get('/api/idp/me').set('Authorization', `Bearer ${token}`)).status;
      }),
    );
  const introspections = async () => (await harness.stats('main')).introspections;

  beforeAll(async () => {
    const key = await rsaKey('main-1');
    ({ main: issuer } = (await harness.start([
      {
        name: 'main',
        keys: [key.jwk],
        opaque: true,
        clients: [...standardClients(), INTROSPECTION_CLIENT],
        resourceServers: { [API]: { scope: 'orders:read' } },
        defaultResource: API,
        roles: {},
      },
    ])) as { main: string });
    const store = { type: 'redis', url, keyPrefix: `introspection-e2e-${randomUUID()}:` } as const;
    const metadata = identityProviderApp(
      {
        store,
        jwt: {
          trustedIssuers: [
            {
              issuer,
              audience: API,
              introspection: {
                clientId: INTROSPECTION_CLIENT.client_id,
                clientSecret: INTROSPECTION_CLIENT.client_secret,
                cacheSeconds: CACHE,
              },
            },
          ],
        },
      },
      clock,
    );
    first = await createApp('express', metadata);
    second = await createApp('fastify', metadata);
  }, 60_000);

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await harness.stop();
  });

  it('bounds the revocation latency per instance: each refuses a revoked token once its own cache window has passed', async () => {
    const token = await clientCredentialsToken(issuer, API, 'orders:read');
    const before = await introspections();
    expect(await spread(token)).toEqual(Array(30).fill(200));
    // Each instance has its own cache: one call each (single flight within an instance).
    expect(await introspections()).toBe(before + 2);
    await revokeToken(issuer, token);
    expect(await spread(token)).toEqual(Array(30).fill(200));
    clock.advance(CACHE);
    expect(await spread(token)).toEqual(Array(30).fill(401));
    expect(await introspections()).toBe(before + 4);
  });

  it("applies the library's own revocation of an introspected token at once, on both instances, without waiting for the cache", async () => {
    clock.advance(CACHE + 1);
    const token = await clientCredentialsToken(issuer, API, 'orders:read');
    const me = await request(first.getHttpServer()).get('/api/idp/me').set('Authorization', `Bearer ${token}`);
    expect(me.status).toBe(200);
    expect(await spread(token)).toEqual(Array(30).fill(200));
    // The token has no jti at oidc-provider: its id for revocation is the token's SHA-256, as on the
    // principal the application sees (@CurrentPrincipal); read here from the instance's cache, no call.
    const principal = await first.get(JwtVerifier).verify(token);
    expect(principal.tokenId).toMatch(/^sha256:/);
    await first
      .get(RevocationService)
      .revokeToken(principal.id, principal.tokenId as string, principal.expiresAt as number);
    expect(await spread(token)).toEqual(Array(30).fill(401));
  });
});
